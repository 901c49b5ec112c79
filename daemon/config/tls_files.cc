#include "daemon/config/tls_files.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>

#include "absl/strings/str_cat.h"

namespace stockd::config {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using Cert = std::unique_ptr<X509, X509Free>;

absl::StatusOr<Bio> Open(const std::string& path) {
  Bio bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    const int err = errno;
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read '", path, "': ", std::strerror(err != 0 ? err : EIO)));
  }
  return bio;
}

std::string SubjectOf(X509* cert) {
  char buf[512] = {};
  X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf);
  return buf;
}

std::string FormatUtc(int64_t ms) {
  const time_t t = static_cast<time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace

absl::StatusOr<CertificateInfo> CheckCertificateAndKey(const std::string& cert_file,
                                                       const std::string& key_file,
                                                       int64_t now_ms) {
  absl::StatusOr<Bio> cert_bio = Open(cert_file);
  if (!cert_bio.ok()) return cert_bio.status();
  Cert cert(PEM_read_bio_X509(cert_bio->get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("'", cert_file, "' holds no PEM certificate"));
  }
  absl::StatusOr<Bio> key_bio = Open(key_file);
  if (!key_bio.ok()) return key_bio.status();
  std::unique_ptr<EVP_PKEY, KeyFree> key(
      PEM_read_bio_PrivateKey(key_bio->get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(
        absl::StrCat("'", key_file, "' holds no unencrypted PEM private key"));
  }
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat(
        "the key in '", key_file, "' does not belong to the certificate in '", cert_file, "'"));
  }
  CertificateInfo info;
  info.subject = SubjectOf(cert.get());
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", cert_file, "': the certificate's expiry cannot be read"));
  }
  info.not_after_ms = static_cast<int64_t>(timegm(&tm)) * 1000;
  if (info.not_after_ms <= now_ms) {
    return absl::InvalidArgumentError(absl::StrCat("the certificate in '", cert_file,
                                                   "' (", info.subject, ") expired at ",
                                                   FormatUtc(info.not_after_ms)));
  }
  return info;
}

absl::Status CheckCaFile(const std::string& ca_file) {
  absl::StatusOr<Bio> bio = Open(ca_file);
  if (!bio.ok()) return bio.status();
  Cert cert(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("'", ca_file, "' holds no PEM certificate"));
  }
  return absl::OkStatus();
}

}  // namespace stockd::config
