// Supplies the one libstdc++ symbol of GCC 13 (GLIBCXX_3.4.32) that TorchSharp's
// libLibTorchSharp.so references and Debian 12's libstdc++ (GCC 12) lacks.
//
// GCC 13's <iostream> no longer puts a std::ios_base::Init object into every translation unit;
// it references std::ios_base_library_init() instead, so that linking pulls in a libstdc++ that
// initialises the standard streams itself. GCC 12's libstdc++ does not, so this library does it
// when it is loaded (it is loaded before libLibTorchSharp.so, which names it as a dependency),
// and defines the symbol, which nothing calls.
#include <ios>

namespace
{
    const std::ios_base::Init initialise_standard_streams;
}

namespace std
{
    __attribute__((visibility("default"))) void ios_base_library_init() {}
}
