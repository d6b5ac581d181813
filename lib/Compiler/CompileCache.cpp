// Disk cache entries: the shared library bytes followed by a fixed-size trailer dlopen never reads.
#include "lib/Compiler/CompileCache.h"

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SHA256.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <set>

namespace kiln::compiler {

namespace {

// Bump when the trailer's layout or meaning changes.
constexpr uint32_t kFormatVersion = 1;
constexpr char kMagic[8] = {'K', 'I', 'L', 'N', 'J', 'I', 'T', '\0'};
constexpr size_t kKeyBytes = 64;

// Little-endian on every host Kiln supports (x86-64, AArch64).
struct Trailer {
  char magic[8];
  uint32_t version;
  uint32_t reserved;
  char key[kKeyBytes];
  uint64_t payloadLength;
  uint8_t checksum[32];
};
static_assert(sizeof(Trailer) == 120, "trailer layout is part of the format");

std::array<uint8_t, 32> checksumOf(const char *data, size_t size) {
  llvm::SHA256 hash;
  hash.update(llvm::StringRef(data, size));
  return hash.final();
}

bool makeDirectories(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) == 0)
    return S_ISDIR(st.st_mode);
  size_t slash = path.find_last_of('/');
  if (slash != std::string::npos && slash > 0 &&
      !makeDirectories(path.substr(0, slash)))
    return false;
  return mkdir(path.c_str(), 0700) == 0 || errno == EEXIST;
}

void warnOnce(const std::string &path, const std::string &reason) {
  static std::mutex mutex;
  static std::set<std::string> warned;
  std::lock_guard<std::mutex> lock(mutex);
  if (!warned.insert(path).second)
    return;
  std::fprintf(stderr,
               "kiln: warning: ignoring corrupt compile cache entry %s: %s; "
               "recompiling\n",
               path.c_str(), reason.c_str());
}

bool writeAll(int fd, const char *data, size_t size) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return false;
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

} // namespace

std::string cacheDirectory() {
  const char *enabled = std::getenv("KILN_CACHE");
  if (enabled && std::string(enabled) == "0")
    return "";
  std::string dir;
  if (const char *explicitDir = std::getenv("KILN_CACHE_DIR");
      explicitDir && *explicitDir)
    dir = explicitDir;
  else if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg)
    dir = std::string(xdg) + "/kiln";
  else if (const char *home = std::getenv("HOME"); home && *home)
    dir = std::string(home) + "/.cache/kiln";
  else
    return "";
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  if (!makeDirectories(dir))
    return "";
  return dir;
}

std::string verifyCacheEntry(const std::string &path, const std::string &key) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open it";
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < sizeof(Trailer))
    return "truncated (" + std::to_string(bytes.size()) + " bytes)";
  Trailer trailer;
  std::memcpy(&trailer, bytes.data() + bytes.size() - sizeof(Trailer),
              sizeof(Trailer));
  if (std::memcmp(trailer.magic, kMagic, sizeof(kMagic)) != 0)
    return "no Kiln trailer (truncated or not written by Kiln)";
  if (trailer.version != kFormatVersion)
    return "format version " + std::to_string(trailer.version) + ", expected " +
           std::to_string(kFormatVersion);
  if (std::string(trailer.key, kKeyBytes) != key)
    return "it belongs to another key";
  const size_t payload = bytes.size() - sizeof(Trailer);
  if (trailer.payloadLength != payload)
    return "payload is " + std::to_string(payload) + " bytes, trailer says " +
           std::to_string(trailer.payloadLength);
  if (payload < 4 || std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0)
    return "the payload is not an ELF image";
  std::array<uint8_t, 32> sum = checksumOf(bytes.data(), payload);
  if (std::memcmp(sum.data(), trailer.checksum, sum.size()) != 0)
    return "checksum mismatch";
  return "";
}

std::string lookupCacheEntry(const std::string &dir, const std::string &key) {
  const std::string path = dir + "/" + key + ".so";
  struct stat st;
  if (stat(path.c_str(), &st) != 0)
    return "";
  std::string reason = verifyCacheEntry(path, key);
  if (reason.empty())
    return path;
  warnOnce(path, reason);
  return "";
}

std::string storeCacheEntry(const std::string &dir, const std::string &key,
                            const std::string &elf, std::string &error) {
  if (key.size() != kKeyBytes) {
    error = "cache keys are 64 hex digits";
    return "";
  }
  Trailer trailer;
  std::memset(&trailer, 0, sizeof(trailer));
  std::memcpy(trailer.magic, kMagic, sizeof(kMagic));
  trailer.version = kFormatVersion;
  std::memcpy(trailer.key, key.data(), kKeyBytes);
  trailer.payloadLength = elf.size();
  std::array<uint8_t, 32> sum = checksumOf(elf.data(), elf.size());
  std::memcpy(trailer.checksum, sum.data(), sum.size());

  // A unique name in the same directory, so rename() is atomic and two
  // processes writing the same key never share a temporary file.
  std::string temp = dir + "/." + key + ".XXXXXX";
  int fd = mkstemp(&temp[0]);
  if (fd < 0) {
    error = "cannot create a file in " + dir + ": " + std::strerror(errno);
    return "";
  }
  bool ok = writeAll(fd, elf.data(), elf.size()) &&
            writeAll(fd, reinterpret_cast<const char *>(&trailer),
                     sizeof(trailer)) &&
            fchmod(fd, 0600) == 0 && fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  const std::string path = dir + "/" + key + ".so";
  if (!ok || std::rename(temp.c_str(), path.c_str()) != 0) {
    error = "cannot write " + path + ": " + std::strerror(errno);
    ::unlink(temp.c_str());
    return "";
  }
  return path;
}

} // namespace kiln::compiler
