using System.Runtime.InteropServices;

namespace Nimmerverse.Organs.Native;

/// <summary>
/// The part of CMU Sphinx's C API (Debian's libpocketsphinx3 and libsphinxbase3, 5prealpha) the
/// speech-to-text organ uses: a decoder configured like its command line, one utterance at a time.
/// </summary>
internal static partial class PocketsphinxNative
{
    private const string Decoder = "libpocketsphinx.so.3";
    private const string Base = "libsphinxbase.so.3";

    [LibraryImport(Decoder)]
    internal static partial nint ps_args();

    [LibraryImport(Decoder)]
    internal static partial nint ps_init(nint config);

    [LibraryImport(Decoder)]
    internal static partial int ps_free(nint decoder);

    [LibraryImport(Decoder, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_set_search(nint decoder, string name);

    [LibraryImport(Decoder, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_set_jsgf_file(nint decoder, string name, string path);

    [LibraryImport(Decoder, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_set_jsgf_string(nint decoder, string name, string grammar);

    /// <summary>Adds a word with its pronunciation (phones separated by spaces) to the decoder's dictionary; its id, or negative on failure.</summary>
    [LibraryImport(Decoder, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int ps_add_word(nint decoder, string word, string phones, int update);

    [LibraryImport(Decoder)]
    internal static partial int ps_start_utt(nint decoder);

    [LibraryImport(Decoder)]
    internal static unsafe partial int ps_process_raw(nint decoder, short* data, nuint samples, int noSearch, int fullUtterance);

    [LibraryImport(Decoder)]
    internal static partial int ps_end_utt(nint decoder);

    /// <summary>The best hypothesis (owned by the decoder; null when nothing was recognised) and its path score (log).</summary>
    [LibraryImport(Decoder)]
    internal static partial nint ps_get_hyp(nint decoder, out int bestScore);

    [LibraryImport(Decoder)]
    internal static partial int ps_get_n_frames(nint decoder);

    /// <summary>Parses a command line (<c>-hmm PATH -dict PATH ...</c>) against the decoder's argument definitions.</summary>
    [LibraryImport(Base)]
    internal static partial nint cmd_ln_parse_r(nint into, nint definitions, int argc, nint[] argv, int strict);

    [LibraryImport(Base)]
    internal static partial int cmd_ln_free_r(nint config);
}
