// The on-disk compile cache: one `<key>.so` per compiled function, ELF image + a verified trailer.
#pragma once

#include <string>

namespace kiln::compiler {

// Where compiled libraries are kept: $KILN_CACHE_DIR, else
// $XDG_CACHE_HOME/kiln, else ~/.cache/kiln; created with mode 0700. Empty
// when KILN_CACHE=0 or the directory cannot be created (caching is skipped).
std::string cacheDirectory();

// The path of a valid entry for `key` in `dir`, or empty. An entry that
// exists but fails verification (truncated, corrupt, foreign, other format
// version) is reported once per process on stderr and treated as missing.
std::string lookupCacheEntry(const std::string &dir, const std::string &key);

// Appends the trailer to `elf` and writes `<dir>/<key>.so` atomically (temp
// file in `dir`, fsync, rename), replacing any previous entry. Returns the
// path, or empty with `error` set.
std::string storeCacheEntry(const std::string &dir, const std::string &key,
                            const std::string &elf, std::string &error);

// Verifies the cache file at `path` for `key`; empty when valid, else the
// reason it is not.
std::string verifyCacheEntry(const std::string &path, const std::string &key);

} // namespace kiln::compiler
