#include "jwt.hpp"

#include <cstring>
#include <memory>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <boost/json/parse.hpp>

namespace sesami::app {
namespace json = boost::json;
namespace {

jwt_refusal refuse(std::string_view code, std::string message) {
  return {std::string(code), std::move(message)};
}

std::string_view str(const json::object& o, std::string_view k) {
  if (const auto* v = o.if_contains(k); v && v->is_string()) return v->get_string();
  return {};
}

std::optional<json::object> decode_object(std::string_view part) {
  auto raw = base64url_decode(part);
  if (!raw) return std::nullopt;
  boost::system::error_code ec;
  auto v = json::parse(*raw, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

std::string_view kty_for(std::string_view alg) { return alg == "ES256" ? "EC" : "RSA"; }

bool usable(const json::object& k, std::string_view alg) {
  if (str(k, "kty") != kty_for(alg)) return false;
  if (const auto use = str(k, "use"); !use.empty() && use != "sig") return false;
  if (const auto a = str(k, "alg"); !a.empty() && a != alg) return false;
  return alg != "ES256" || str(k, "crv") == "P-256";
}

const json::object* find_key(const json::array& keys, std::string_view alg, std::string_view kid) {
  const json::object* only = nullptr;
  int candidates = 0;
  for (const auto& v : keys) {
    const auto* k = v.if_object();
    if (!k || !usable(*k, alg)) continue;
    if (!kid.empty()) {
      if (str(*k, "kid") == kid) return k;
      continue;
    }
    only = k;
    ++candidates;
  }
  return candidates == 1 ? only : nullptr;  // no kid: only an unambiguous key will do
}

struct pkey_free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;
struct bld_free {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct params_free {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct ctx_free {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct bn_free {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using bn_ptr = std::unique_ptr<BIGNUM, bn_free>;

bn_ptr to_bn(const std::string& raw) {
  return bn_ptr(BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()), nullptr));
}

// The public key a JWK describes (RSA n/e, or EC P-256 x/y), through OpenSSL 3's provider API.
pkey_ptr jwk_to_pkey(const json::object& k) {
  std::unique_ptr<OSSL_PARAM_BLD, bld_free> bld(OSSL_PARAM_BLD_new());
  if (!bld) return nullptr;
  const bool rsa = str(k, "kty") == "RSA";
  bn_ptr n, e;
  std::string point;
  if (rsa) {
    auto nr = base64url_decode(str(k, "n")), er = base64url_decode(str(k, "e"));
    if (!nr || !er || nr->empty() || er->empty()) return nullptr;
    n = to_bn(*nr);
    e = to_bn(*er);
    if (!n || !e || BN_num_bits(n.get()) < 2048) return nullptr;
    if (!OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) ||
        !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e.get()))
      return nullptr;
  } else {
    auto x = base64url_decode(str(k, "x")), y = base64url_decode(str(k, "y"));
    if (!x || !y || x->size() != 32 || y->size() != 32) return nullptr;
    point = "\x04" + *x + *y;  // uncompressed point
    if (!OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                          point.size()))
      return nullptr;
  }
  std::unique_ptr<OSSL_PARAM, params_free> params(OSSL_PARAM_BLD_to_param(bld.get()));
  std::unique_ptr<EVP_PKEY_CTX, ctx_free> ctx(
      EVP_PKEY_CTX_new_from_name(nullptr, rsa ? "RSA" : "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0) return nullptr;
  EVP_PKEY* out = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &out, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0) return nullptr;
  return pkey_ptr(out);
}

// JWS carries an ECDSA signature as r || s (32 bytes each); OpenSSL verifies DER.
std::optional<std::string> ecdsa_der(std::string_view raw) {
  if (raw.size() != 64) return std::nullopt;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  if (!sig) return std::nullopt;
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + 32, 32, nullptr);
  if (!r || !s || ECDSA_SIG_set0(sig, r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  const int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return std::nullopt;
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(len));
  OPENSSL_free(der);
  return out;
}
}  // namespace

jwt_result<jws_parts> parse_jws(std::string_view token) {
  const auto d1 = token.find('.');
  const auto d2 = d1 == std::string_view::npos ? d1 : token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return refuse("oidc.bad_token", "an ID token is three dot-separated parts");
  auto header = decode_object(token.substr(0, d1));
  auto claims = decode_object(token.substr(d1 + 1, d2 - d1 - 1));
  auto sig = base64url_decode(token.substr(d2 + 1));
  if (!header || !claims || !sig)
    return refuse("oidc.bad_token", "the ID token's parts are not base64url JSON objects");
  // Critical extensions we do not understand make the token unusable (RFC 7515 4.1.11).
  if (header->contains("crit")) return refuse("oidc.bad_token", "unsupported critical header");
  jws_parts out;
  out.alg = std::string(str(*header, "alg"));
  out.kid = std::string(str(*header, "kid"));
  out.claims = std::move(*claims);
  out.signing_input = std::string(token.substr(0, d2));
  out.signature = std::move(*sig);
  return out;
}

bool jwks_has_key(const json::array& keys, std::string_view alg, std::string_view kid) {
  return find_key(keys, alg, kid) != nullptr;
}

jwt_result<void> verify_jws(const jws_parts& t, const json::array& keys) {
  if (t.alg != "RS256" && t.alg != "ES256")
    return refuse("oidc.bad_alg", "ID token algorithm '" + t.alg + "' (RS256 or ES256 only)");
  const auto* k = find_key(keys, t.alg, t.kid);
  if (!k) return refuse("oidc.unknown_key", "no key '" + t.kid + "' in the issuer's key set");
  auto key = jwk_to_pkey(*k);
  if (!key) return refuse("oidc.bad_signature", "the issuer's key '" + t.kid + "' is unusable");
  std::string sig = t.signature;
  if (t.alg == "ES256") {
    auto der = ecdsa_der(sig);
    if (!der) return refuse("oidc.bad_signature", "an ES256 signature is 64 bytes");
    sig = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  const bool ok =
      md && EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
      EVP_DigestVerify(md.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                       reinterpret_cast<const unsigned char*>(t.signing_input.data()),
                       t.signing_input.size()) == 1;
  if (!ok) return refuse("oidc.bad_signature", "the ID token's signature does not verify");
  return {};
}

jwt_result<void> check_id_token_claims(const json::object& c, const id_token_expect& e) {
  if (str(c, "iss") != e.issuer)
    return refuse("oidc.bad_issuer", "iss '" + std::string(str(c, "iss")) + "' is not the issuer");
  const auto* aud = c.if_contains("aud");
  bool ours = false;
  std::size_t audiences = 0;
  if (aud && aud->is_string()) {
    ours = aud->get_string() == e.client_id;
    audiences = 1;
  } else if (aud && aud->is_array()) {
    for (const auto& a : aud->get_array()) {
      ++audiences;
      if (a.is_string() && a.get_string() == e.client_id) ours = true;
    }
  }
  if (!ours) return refuse("oidc.bad_audience", "the ID token was issued to another client");
  if (audiences > 1 && str(c, "azp") != e.client_id)
    return refuse("oidc.bad_audience", "several audiences and azp is not this client");
  auto number = [&](std::string_view k) -> std::optional<long long> {
    const auto* v = c.if_contains(k);
    if (!v) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() < (1ull << 62))
      return static_cast<long long>(v->get_uint64());
    if (v->is_double()) return static_cast<long long>(v->get_double());
    return std::nullopt;
  };
  const auto exp = number("exp"), iat = number("iat");
  if (!exp || *exp + e.leeway_s <= e.now_s)
    return refuse("oidc.expired", "the ID token has expired (or has no exp)");
  if (!iat || *iat > e.now_s + e.leeway_s)
    return refuse("oidc.bad_iat", "the ID token's iat is missing or in the future");
  if (e.nonce.empty() || str(c, "nonce") != e.nonce)
    return refuse("oidc.bad_nonce", "the ID token's nonce is not this sign-in's");
  if (str(c, "sub").empty()) return refuse("oidc.bad_token", "the ID token has no sub");
  return {};
}

}  // namespace sesami::app
