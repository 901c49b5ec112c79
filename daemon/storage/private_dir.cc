#include "daemon/storage/private_dir.h"

#include <dirent.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "absl/strings/str_cat.h"

namespace stockd::storage {
namespace {

constexpr mode_t kGroupOrOtherWrite = S_IWGRP | S_IWOTH;
constexpr mode_t kNotOwnerBits = 07077;  // group, other, setuid, setgid, sticky

std::string ErrnoString(int err) {
  char buf[256];
  return strerror_r(err, buf, sizeof buf);  // GNU variant: returns the message
}

std::string Octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// "uid 1000 (alice)", or "uid 1000" when the user database has no name for it.
std::string DescribeUid(uid_t uid) {
  passwd entry;
  passwd* found = nullptr;
  char buf[1024];
  if (::getpwuid_r(uid, &entry, buf, sizeof buf, &found) == 0 && found != nullptr) {
    return absl::StrCat("uid ", uid, " (", found->pw_name, ")");
  }
  return absl::StrCat("uid ", uid);
}

// Drops kNotOwnerBits from `path` (lstat'ed as `st`); appends "label old -> new".
absl::Status Restrict(const std::string& path, const std::string& label, const struct stat& st,
                      std::vector<std::string>* changes) {
  if ((st.st_mode & kNotOwnerBits) == 0) return absl::OkStatus();
  const mode_t private_mode = st.st_mode & 0700;
  if (::chmod(path.c_str(), private_mode) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "cannot make ", path, " private (mode ", Octal(st.st_mode), " -> ", Octal(private_mode),
        "): ", ErrnoString(errno), "; it must belong to the user stockd runs as"));
  }
  changes->push_back(absl::StrCat(label, " ", Octal(st.st_mode), " -> ", Octal(private_mode)));
  return absl::OkStatus();
}

// Restrict() for every regular file in `dir`; `prefix` goes before each name in the
// change lines. When `subdir` is not empty, that directory and its files too.
absl::Status RestrictEntries(const std::string& dir, const std::string& prefix,
                             const std::string& subdir, std::vector<std::string>* changes) {
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(dir.c_str()), &::closedir);
  if (listing == nullptr) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list ", dir, ": ", ErrnoString(errno)));
  }
  bool has_subdir = false;
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(listing.get());
    if (entry == nullptr) break;
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = absl::StrCat(dir, "/", name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) continue;  // removed meanwhile
      return absl::FailedPreconditionError(
          absl::StrCat("cannot stat ", path, ": ", ErrnoString(errno)));
    }
    if (S_ISREG(st.st_mode)) {
      if (absl::Status s = Restrict(path, prefix + name, st, changes); !s.ok()) return s;
    } else if (S_ISDIR(st.st_mode) && !subdir.empty() && name == subdir) {
      if (absl::Status s = Restrict(path, prefix + name, st, changes); !s.ok()) return s;
      has_subdir = true;
    }
  }
  if (errno != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot list ", dir, ": ", ErrnoString(errno)));
  }
  if (!has_subdir) return absl::OkStatus();
  return RestrictEntries(absl::StrCat(dir, "/", subdir), absl::StrCat(prefix, subdir, "/"), "",
                         changes);
}

}  // namespace

absl::StatusOr<std::string> RequirePrivateDir(const std::string& dir, const std::string& what) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot stat ", what, " ", dir, ": ", ErrnoString(errno)));
  }
  const uid_t me = ::geteuid();
  if (st.st_uid != me) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " ", dir, " is owned by ", DescribeUid(st.st_uid), ", not by ", DescribeUid(me),
        " that stockd runs as, so its owner could replace the Redis socket or append-only "
        "file; run `chown ",
        me, " ", dir, "` and `chmod 700 ", dir, "`, or choose another data_dir"));
  }
  if ((st.st_mode & kGroupOrOtherWrite) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        what, " ", dir, " has mode ", Octal(st.st_mode),
        ": group or others may write to it, so another local user could replace the Redis "
        "socket or append-only file; run `chmod 700 ",
        dir, "` (stockd does not loosen or tighten a writable directory an operator chose)"));
  }
  if ((st.st_mode & 077) == 0) return std::string();
  const mode_t private_mode = st.st_mode & 07700;
  if (::chmod(dir.c_str(), private_mode) != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot change the mode of ", what, " ", dir, " from ", Octal(st.st_mode),
                     " to ", Octal(private_mode), ": ", ErrnoString(errno)));
  }
  return absl::StrCat(what, " ", dir, " had mode ", Octal(st.st_mode),
                      " (group or others could read it); changed it to ", Octal(private_mode));
}

absl::StatusOr<std::vector<std::string>> RemoveGroupAndOtherAccess(const std::string& dir,
                                                                   const std::string& subdir) {
  std::vector<std::string> changes;
  if (absl::Status s = RestrictEntries(dir, "", subdir, &changes); !s.ok()) return s;
  return changes;
}

}  // namespace stockd::storage
