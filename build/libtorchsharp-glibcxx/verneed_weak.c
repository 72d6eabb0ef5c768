/*
 * verneed_weak: marks one version need of an ELF64 shared library as weak (VER_FLG_WEAK),
 * so the dynamic loader accepts a libstdc++ that does not define that version instead of
 * refusing to load the library ("version `GLIBCXX_3.4.32' not found").
 *
 *   verneed_weak LIBRARY FILE VERSION           mark FILE's VERSION weak (idempotent)
 *   verneed_weak --check LIBRARY FILE VERSION   report only
 *
 * Exit status: 0 the need is weak (now or already), 1 (--check only) the need is strong,
 * 2 LIBRARY has no such need, 3 LIBRARY cannot be read or is not a little-endian ELF64 file.
 * patchelf has no option for this flag; the format is in elf(5), "Version needs".
 */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

enum { WEAK = 0, STRONG = 1, ABSENT = 2, UNREADABLE = 3 };

static int fail(const char *library, const char *why)
{
    fprintf(stderr, "verneed_weak: %s: %s\n", library, why);
    return UNREADABLE;
}

/* True when [offset, offset + length) lies inside a file of the given size. */
static int inside(size_t size, size_t offset, size_t length)
{
    return offset <= size && length <= size - offset;
}

int main(int argc, char **argv)
{
    int check_only = argc == 5 && strcmp(argv[1], "--check") == 0;
    if (argc != 4 + check_only)
    {
        fprintf(stderr, "usage: verneed_weak [--check] LIBRARY FILE VERSION\n");
        return 64;
    }

    const char *library = argv[1 + check_only], *file = argv[2 + check_only], *version = argv[3 + check_only];
    int fd = open(library, check_only ? O_RDONLY : O_RDWR);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return fail(library, "cannot open");

    size_t size = (size_t)st.st_size;
    unsigned char *image = size < sizeof(Elf64_Ehdr) ? MAP_FAILED
        : mmap(NULL, size, PROT_READ | (check_only ? 0 : PROT_WRITE), MAP_SHARED, fd, 0);
    if (image == MAP_FAILED)
        return fail(library, "cannot map");

    const Elf64_Ehdr *header = (const Elf64_Ehdr *)image;
    if (memcmp(header->e_ident, ELFMAG, SELFMAG) != 0 || header->e_ident[EI_CLASS] != ELFCLASS64
        || header->e_ident[EI_DATA] != ELFDATA2LSB || header->e_shentsize != sizeof(Elf64_Shdr)
        || !inside(size, header->e_shoff, (size_t)header->e_shnum * sizeof(Elf64_Shdr)))
        return fail(library, "not a little-endian ELF64 file with section headers");

    const Elf64_Shdr *sections = (const Elf64_Shdr *)(image + header->e_shoff);
    int result = ABSENT;
    for (int s = 0; s < header->e_shnum; s++)
    {
        if (sections[s].sh_type != SHT_GNU_verneed)
            continue;
        if (sections[s].sh_link >= header->e_shnum)
            return fail(library, "version needs link to no string table");

        const Elf64_Shdr *strings = &sections[sections[s].sh_link];
        if (!inside(size, strings->sh_offset, strings->sh_size) || !inside(size, sections[s].sh_offset, sections[s].sh_size))
            return fail(library, "version needs lie outside the file");

        const char *names = (const char *)(image + strings->sh_offset);
        size_t need_offset = sections[s].sh_offset, end = sections[s].sh_offset + sections[s].sh_size;
        for (;;)
        {
            if (!inside(end, need_offset, sizeof(Elf64_Verneed)))
                return fail(library, "truncated version need");
            Elf64_Verneed *need = (Elf64_Verneed *)(image + need_offset);
            if (need->vn_file < strings->sh_size && strcmp(names + need->vn_file, file) == 0)
            {
                size_t aux_offset = need_offset + need->vn_aux;
                for (unsigned i = 0; i < need->vn_cnt; i++)
                {
                    if (!inside(end, aux_offset, sizeof(Elf64_Vernaux)))
                        return fail(library, "truncated version need entry");
                    Elf64_Vernaux *aux = (Elf64_Vernaux *)(image + aux_offset);
                    if (aux->vna_name < strings->sh_size && strcmp(names + aux->vna_name, version) == 0)
                    {
                        if (aux->vna_flags & VER_FLG_WEAK)
                            result = WEAK;
                        else if (check_only)
                            result = STRONG;
                        else
                        {
                            aux->vna_flags |= VER_FLG_WEAK;
                            result = WEAK;
                        }
                    }
                    if (aux->vna_next == 0)
                        break;
                    aux_offset += aux->vna_next;
                }
            }
            if (need->vn_next == 0)
                break;
            need_offset += need->vn_next;
        }
    }

    if (!check_only && result == WEAK && msync(image, size, MS_SYNC) != 0)
        return fail(library, "cannot write");
    munmap(image, size);
    close(fd);
    return result;
}
