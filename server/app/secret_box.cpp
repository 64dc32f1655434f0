#include "secret_box.hpp"

#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include <sodium.h>

#include "private_files.hpp"

namespace sesami::app {
namespace {
constexpr unsigned char format_version = 1;
constexpr std::string_view text_prefix = "sealed1:";
constexpr std::size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr std::size_t tag_bytes = crypto_aead_xchacha20poly1305_ietf_ABYTES;
constexpr int b64 = sodium_base64_VARIANT_URLSAFE_NO_PADDING;

void init_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}
const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

key_result<secret_key> load_key_file(const std::filesystem::path& p, std::string_view what) {
  using R = key_result<secret_key>;
  std::ifstream in(p, std::ios::binary);
  if (!in)
    return R(boost::system::in_place_error,
             p.string() + ": cannot read " + std::string(what) + " file");
  std::ostringstream ss;
  ss << in.rdbuf();
  std::string text = std::move(ss).str();
  const auto t = trim(text);
  secret_key k{};
  std::size_t len = 0;
  bool ok = (t.size() == 64 &&
             sodium_hex2bin(k.data(), k.size(), t.data(), t.size(), nullptr, &len, nullptr) == 0 &&
             len == 32) ||
            (sodium_base642bin(k.data(), k.size(), t.data(), t.size(), nullptr, &len, nullptr,
                               sodium_base64_VARIANT_ORIGINAL) == 0 &&
             len == 32);
  sodium_memzero(text.data(), text.size());
  if (ok) return k;
  sodium_memzero(k.data(), k.size());
  return R(
      boost::system::in_place_error,
      p.string() + ": " + std::string(what) +
          " must be 32 bytes written as 64 hex digits or base64 (e.g. `openssl rand -hex 32`)");
}

key_result<loaded_key> load_or_create_key_file(const std::filesystem::path& p,
                                               std::string_view what) {
  using R = key_result<loaded_key>;
  init_sodium();
  std::error_code ec;
  if (!std::filesystem::exists(p, ec)) {
    secret_key k{};
    randombytes_buf(k.data(), k.size());
    char hex[2 * 32 + 1];
    sodium_bin2hex(hex, sizeof hex, k.data(), k.size());
    std::string content = std::string(hex, 64) + "\n";
    sodium_memzero(hex, sizeof hex);
    if (p.has_parent_path()) std::filesystem::create_directories(p.parent_path(), ec);
    const auto wrote = write_private_file(p, content, /*replace=*/false);
    sodium_memzero(content.data(), content.size());
    if (!wrote) return loaded_key{k, true};
    sodium_memzero(k.data(), k.size());
    if (wrote != std::errc::file_exists)  // else another process made it first: read theirs
      return R(boost::system::in_place_error,
               p.string() + ": cannot create " + std::string(what) + " file: " + wrote.message());
  }
  auto k = load_key_file(p, what);
  if (!k) return R(boost::system::in_place_error, k.error());
  return loaded_key{*k, false};
}

secret_key derive_key(const secret_key& master, std::uint64_t id, std::string_view context) {
  init_sodium();
  char ctx[crypto_kdf_CONTEXTBYTES] = {};
  for (std::size_t i = 0; i < sizeof ctx && i < context.size(); ++i) ctx[i] = context[i];
  secret_key out{};
  crypto_kdf_derive_from_key(out.data(), out.size(), id, ctx, master.data());
  return out;
}

secret_key database_key(const secret_key& master) { return derive_key(master, 1, "sesamidb"); }

secret_box::secret_box(const secret_key& key) : key_(key) { init_sodium(); }

secret_box::~secret_box() { sodium_memzero(key_.data(), key_.size()); }

std::string secret_box::seal(std::string_view plain, std::string_view ad) const {
  std::string out(1 + nonce_bytes + plain.size() + tag_bytes, '\0');
  auto* p = reinterpret_cast<unsigned char*>(out.data());
  p[0] = format_version;
  unsigned char* nonce = p + 1;
  randombytes_buf(nonce, nonce_bytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + nonce_bytes, &clen, bytes(plain), plain.size(),
                                             bytes(ad), ad.size(), nullptr, nonce, key_.data());
  out.resize(1 + nonce_bytes + clen);
  return out;
}

std::optional<std::string> secret_box::open(std::string_view sealed, std::string_view ad) const {
  constexpr std::size_t header = 1 + nonce_bytes;
  if (sealed.size() < header + tag_bytes || static_cast<unsigned char>(sealed[0]) != format_version)
    return std::nullopt;
  std::string plain(sealed.size() - header - tag_bytes, '\0');
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          reinterpret_cast<unsigned char*>(plain.data()), &plen, nullptr, bytes(sealed) + header,
          sealed.size() - header, bytes(ad), ad.size(), bytes(sealed) + 1, key_.data()) != 0)
    return std::nullopt;
  plain.resize(plen);
  return plain;
}

std::string secret_box::seal_text(std::string_view plain, std::string_view ad) const {
  std::string sealed = seal(plain, ad);
  std::string out(sodium_base64_ENCODED_LEN(sealed.size(), b64), '\0');
  sodium_bin2base64(out.data(), out.size(), bytes(sealed), sealed.size(), b64);
  out.resize(std::char_traits<char>::length(out.c_str()));
  return std::string(text_prefix) + out;
}

std::optional<std::string> secret_box::open_text(std::string_view text, std::string_view ad) const {
  if (!is_sealed_text(text)) return std::nullopt;
  text.remove_prefix(text_prefix.size());
  std::string sealed(text.size(), '\0');
  std::size_t len = 0;
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(sealed.data()), sealed.size(), text.data(),
                        text.size(), nullptr, &len, nullptr, b64) != 0)
    return std::nullopt;
  sealed.resize(len);
  return open(sealed, ad);
}

bool secret_box::is_sealed_text(std::string_view text) noexcept {
  return text.starts_with(text_prefix);
}

}  // namespace sesami::app
