#include "daemon/util/secret_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace stockd::util {

absl::StatusOr<std::string> ReadSecretFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
  }
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat '", path, "': ", std::strerror(errno)));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::FailedPreconditionError(absl::StrCat("'", path, "' is not a regular file"));
  }
  if ((st.st_mode & 077) != 0) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "'%s' has mode %04o: group/others may access it; chmod 600 it", path, st.st_mode & 07777));
  }
  if (static_cast<size_t>(st.st_size) > kMaxSecretFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' is larger than ", kMaxSecretFileBytes, " bytes"));
  }
  std::string secret(kMaxSecretFileBytes + 1, '\0');
  size_t size = 0;
  while (size < secret.size()) {
    const ssize_t n = ::read(fd, secret.data() + size, secret.size() - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("cannot read '", path, "': ", std::strerror(errno)));
    }
    if (n == 0) break;
    size += static_cast<size_t>(n);
  }
  if (size > kMaxSecretFileBytes) {
    return absl::FailedPreconditionError(
        absl::StrCat("'", path, "' is larger than ", kMaxSecretFileBytes, " bytes"));
  }
  while (size > 0 && (secret[size - 1] == '\n' || secret[size - 1] == '\r')) --size;
  if (size == 0) return absl::FailedPreconditionError(absl::StrCat("'", path, "' is empty"));
  secret.resize(size);
  return secret;
}

}  // namespace stockd::util
