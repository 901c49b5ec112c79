// The file adapter: appends one JSON line per pushed quantity to a file, for an ERP import
// folder or for debugging. Config: {"path": "/var/lib/erp/in/stock.jsonl", "fsync": false}.
//
// The file is opened for each batch, so a consumer may move it away at any time (the next
// batch creates a new one). A batch is one write(); a failed write is cut back to the
// last whole line, and the items not written are RETRY.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "stockd/adapter_sdk.h"

namespace {

using stockd::sdk::Error;
using stockd::sdk::Item;
using stockd::sdk::Json;
using stockd::sdk::PushResult;

class FileAdapter final : public stockd::sdk::Adapter {
 public:
  // The ABI's validate_config (stockd --check-config): the constructor's checks less
  // creating the file; its directory must exist.
  static void ValidateConfig(const Json& config) {
    const std::string path = CheckKeys(config);
    const std::string dir = DirectoryOf(path);
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
      throw Error("cannot create \"" + path + "\": directory \"" + dir + "\" does not exist");
    }
    if (!S_ISDIR(st.st_mode)) {
      throw Error("cannot create \"" + path + "\": \"" + dir + "\" is not a directory");
    }
  }

  FileAdapter(const Json& config, stockd::sdk::Host host) : host_(host) {
    path_ = CheckKeys(config);
    fsync_ = stockd::sdk::GetBool(config, "fsync", false);
    channel_ = stockd::sdk::GetString(config, "channel", "");
    const int fd = Open();
    if (fd < 0) throw Error(OpenError());
    ::close(fd);
  }

  std::vector<PushResult> Push(const std::vector<Item>& items) override {
    const int64_t now_ms = host_.NowMs();
    std::string text;
    std::vector<size_t> line_ends;
    for (const Item& item : items) {
      nlohmann::ordered_json line = {{"ts_ms", now_ms},
                                     {"channel", channel_},
                                     {"sku", std::string(item.sku)},
                                     {"listing_id", std::string(item.listing_id)},
                                     {"quantity", item.quantity},
                                     {"previous", item.previous}};
      text += line.dump(-1, ' ', false, Json::error_handler_t::replace) + '\n';
      line_ends.push_back(text.size());
    }
    const size_t written = Append(text);
    std::vector<PushResult> results;
    for (size_t end : line_ends) {
      results.push_back(end <= written ? PushResult::Ok() : PushResult::Retry(error_));
    }
    return results;
  }

 private:
  // The keys' checks; returns the path.
  static std::string CheckKeys(const Json& config) {
    stockd::sdk::RejectUnknownKeys(config, {"path", "fsync"});
    std::string path = stockd::sdk::RequireString(config, "path");
    stockd::sdk::GetBool(config, "fsync", false);
    stockd::sdk::GetString(config, "channel", "");
    return path;
  }

  static std::string DirectoryOf(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  }

  int Open() const {
    return ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  }

  std::string OpenError() const {
    const int err = errno;
    const std::string dir = DirectoryOf(path_);
    struct stat st;
    if (err == ENOENT && ::stat(dir.c_str(), &st) != 0) {
      return "cannot create \"" + path_ + "\": directory \"" + dir + "\" does not exist";
    }
    return "cannot open \"" + path_ + "\" for appending: " + std::strerror(err);
  }

  // Appends `text`; returns how many bytes of it are in the file, cut to whole lines.
  size_t Append(const std::string& text) {
    const int fd = Open();
    if (fd < 0) {
      error_ = OpenError();
      return 0;
    }
    struct stat st;
    const off_t start = ::fstat(fd, &st) == 0 ? st.st_size : -1;
    size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      written += static_cast<size_t>(n);
    }
    if (written < text.size()) {
      error_ = "cannot append to \"" + path_ + "\": " + std::strerror(errno);
      const size_t last_newline = written == 0 ? std::string::npos : text.rfind('\n', written - 1);
      written = last_newline == std::string::npos ? 0 : last_newline + 1;
      if (start >= 0 && ::ftruncate(fd, start + static_cast<off_t>(written)) != 0) written = 0;
    } else if (fsync_ && ::fsync(fd) != 0) {
      error_ = "cannot fsync \"" + path_ + "\": " + std::strerror(errno);
      written = 0;
    }
    ::close(fd);
    return written;
  }

  stockd::sdk::Host host_;
  std::string path_;
  std::string channel_;
  bool fsync_ = false;
  std::string error_;
};

}  // namespace

STOCKD_ADAPTER(FileAdapter, "file", /*max_batch=*/1000, /*has_fetch=*/false,
               /*has_poll=*/false);
