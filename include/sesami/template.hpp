#pragma once
// Email templates rendered with the rules of Amazon SES's stored templates (CreateEmailTemplate,
// SendEmail with Content.Template), so a preview in the dashboard (wasm), the simulator's sends and
// POST /templates/{name}/render give what SES would send. SES renders with Handlebars; what is
// supported here is what SES documents (docs/api.md "Templates"):
//   {{name}} {{contact.firstName}} {{this}} {{../x}} {{@root.x}} {{items.length}} {{items.0}}
//   {{#if x}}…{{else if y}}…{{else}}…{{/if}}  {{#unless x}}  {{#each list}} (@index @key @first
//   @last, {{else}} when empty)  {{#with obj}}  {{#*inline "p"}}…{{/inline}} with {{> p}}
//   {{! comment }} {{!-- comment --}}  \{{literal}}  whitespace control {{~x~}}, and Handlebars'
//   standalone-line rule (a block tag alone on its line takes its line with it).
// Values print as JavaScript prints them (1.5, true, arrays joined by ","). SES does NOT escape
// HTML in any part ("SES doesn't escape HTML content when rendering the HTML template"): {{x}} and
// {{{x}}} are the same here too, so data from untrusted people must be escaped by the sender.
// A variable printed with {{x}} that the data lacks is "missing": SES then refuses to deliver the
// message (a Rendering Failure event); render_template lists them and the send path refuses.
// Conditions ({{#if x}}) on absent data are simply false, as in SES.
//
// Bounded and linear: one pass to parse (block nesting at most max_depth), rendering counts every
// node it visits (max_steps) and every byte it writes (max_output), so a hostile template or data
// (nested {{#each}} over long lists, partials calling themselves) stops with an error, never spins.
// Pure: no I/O.
#include <algorithm>
#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_set>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <sesami/error.hpp>

namespace sesami {

/// The three parts of a template, each Handlebars text.
struct email_template {
  std::string subject, text, html;
};

struct template_limits {
  std::size_t max_source = 500 * 1024;  // SES: 500 KB per template, text and HTML included
  std::size_t max_depth = 32;           // block nesting, and partials within partials
  std::size_t max_output = 10u << 20;   // bytes written, all parts together (SES: 10 MB mail)
  std::size_t max_steps = 1'000'000;    // template nodes visited, all parts together
};

struct rendered_template {
  std::string subject, text, html;
  std::vector<std::string> missing;  // variables printed but absent, as written, first use first
};

namespace detail::tmpl {
namespace json = boost::json;

enum class helper : std::uint8_t { if_, unless, each, with };

struct path {
  std::string source;                 // as written ("contact.firstName"), for `missing`
  std::size_t up = 0;                 // "../" count
  bool root = false;                  // @root.…
  bool data = false;                  // @index, @key, @first, @last: segments[0] names it
  std::vector<std::string> segments;  // empty: the context itself (this, .)
};

enum class node_kind : std::uint8_t { text, value, block, partial };
struct node {
  node_kind kind = node_kind::text;
  std::string text;  // literal text, or the partial's name
  path arg;          // printed value, block argument, partial context
  bool has_arg = false;
  helper h = helper::if_;
  std::size_t line = 0;  // partials: where the call stands
  std::vector<node> body, inverse;
};

inline node make_node(node_kind k, std::string text = {}) {
  node n;
  n.kind = k;
  n.text = std::move(text);
  return n;
}

struct program {
  std::vector<node> nodes;
  std::vector<std::pair<std::string, std::vector<node>>> partials;  // {{#*inline}} definitions
};

struct token {
  bool tag = false;
  std::string text;  // text: literal; tag: the content between the braces, trimmed
  char sigil = 0;    // '#', '/', '^', '>', '!', '&', '{', 'e' (else), 0 (a value)
  bool strip_before = false, strip_after = false;
  std::size_t line = 1;
  std::size_t cut_front = 0, cut_back = std::string::npos;  // text: standalone / ~ trimming
};

inline bool is_ws(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
inline std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ws(s.back())) s.remove_suffix(1);
  return s;
}

inline error fail(errc c, std::string_view part, std::size_t line, std::string_view what) {
  return {c, std::string(part) + ": line " + std::to_string(line) + ": " + std::string(what)};
}

// Splits the source into text and tags; one pass.
inline result<std::vector<token>> tokenize(std::string_view s, std::string_view part) {
  std::vector<token> out;
  std::size_t i = 0, line = 1;
  auto add_text = [&](std::string_view t) {
    if (t.empty()) return;
    if (!out.empty() && !out.back().tag) {
      out.back().text += t;
    } else {
      token k;
      k.text = std::string(t);
      k.line = line;
      out.push_back(std::move(k));
    }
    for (char c : t) line += c == '\n';
  };
  while (i < s.size()) {
    const auto open = s.find("{{", i);
    if (open == std::string_view::npos) {
      add_text(s.substr(i));
      break;
    }
    if (open > i && s[open - 1] == '\\') {  // \{{ prints "{{"
      add_text(s.substr(i, open - 1 - i));
      add_text("{{");
      i = open + 2;
      continue;
    }
    add_text(s.substr(i, open - i));
    token t;
    t.tag = true;
    t.line = line;
    std::size_t j = open + 2;
    if (j < s.size() && s[j] == '~') t.strip_before = true, ++j;
    std::string_view closer = "}}";
    if (s.substr(j).starts_with("!--")) {  // {{!-- … --}}: may hold "}}"
      t.sigil = '!', j += 3;
      const auto a = s.find("--}}", j), b = s.find("--~}}", j);
      closer = b < a ? "--~}}" : "--}}";
    } else if (j < s.size() && s[j] == '{') {
      t.sigil = '{', closer = "}}}", ++j;
    }
    const auto end = s.find(closer, j);
    if (end == std::string_view::npos)
      return fail(errc::bad_value, part, line, "a {{ without its closing braces");
    std::string_view inner = s.substr(j, end - j);
    if (t.sigil == '!') {
      t.strip_after = closer == "--~}}";
    } else if (!inner.empty() && inner.back() == '~') {
      t.strip_after = true, inner.remove_suffix(1);
    }
    for (char c : s.substr(open, end + closer.size() - open)) line += c == '\n';
    i = end + closer.size();
    if (t.sigil == 0) {
      inner = trim(inner);
      if (!inner.empty() && std::string_view("#/^>!&").find(inner[0]) != std::string_view::npos)
        t.sigil = inner[0], inner.remove_prefix(1);
      else if (inner == "else" || inner.starts_with("else ") || inner.starts_with("else\t"))
        t.sigil = 'e', inner.remove_prefix(4);
    }
    if (t.sigil == '{') t.sigil = '&';
    t.text = std::string(trim(inner));
    out.push_back(std::move(t));
  }
  return out;
}

// Handlebars' standalone rule (a block, else, comment or partial tag alone on its line removes
// that line's whitespace and newline) and ~ trimming, decided on the original text.
inline void trim_whitespace(std::vector<token>& ts) {
  auto standalone_kind = [](const token& t) {
    return t.tag && (t.sigil == '#' || t.sigil == '/' || t.sigil == '^' || t.sigil == 'e' ||
                     t.sigil == '!' || t.sigil == '>');
  };
  auto only_ws = [](std::string_view s) {
    for (char c : s)
      if (c != ' ' && c != '\t') return false;
    return true;
  };
  for (auto& t : ts)
    if (!t.tag) t.cut_back = t.text.size();
  for (std::size_t k = 0; k < ts.size(); ++k) {
    if (!standalone_kind(ts[k])) continue;
    std::size_t back = 0, front = 0;  // the cut positions in the neighbours, if standalone
    bool left = k == 0, right = k + 1 == ts.size();
    if (k > 0 && !ts[k - 1].tag) {
      const auto& p = ts[k - 1].text;
      const auto nl = p.rfind('\n');
      if (nl == std::string::npos)
        left = k == 1 && only_ws(p);
      else
        left = only_ws(std::string_view(p).substr(nl + 1)), back = nl + 1;
    }
    if (k + 1 < ts.size() && !ts[k + 1].tag) {
      const auto& n = ts[k + 1].text;
      const auto nl = n.find('\n');
      if (nl == std::string::npos) {
        right = k + 2 == ts.size() && only_ws(n), front = n.size();
      } else {
        auto before = std::string_view(n).substr(0, nl);
        if (!before.empty() && before.back() == '\r') before.remove_suffix(1);
        right = only_ws(before), front = nl + 1;
      }
    }
    if (!left || !right) continue;
    if (k > 0 && !ts[k - 1].tag) ts[k - 1].cut_back = std::min(ts[k - 1].cut_back, back);
    if (k + 1 < ts.size() && !ts[k + 1].tag)
      ts[k + 1].cut_front = std::max(ts[k + 1].cut_front, front);
  }
  for (std::size_t k = 0; k < ts.size(); ++k) {
    if (!ts[k].tag) continue;
    if (ts[k].strip_before && k > 0 && !ts[k - 1].tag) {
      auto& p = ts[k - 1];
      while (p.cut_back > p.cut_front && is_ws(p.text[p.cut_back - 1])) --p.cut_back;
    }
    if (ts[k].strip_after && k + 1 < ts.size() && !ts[k + 1].tag) {
      auto& n = ts[k + 1];
      while (n.cut_front < n.cut_back && is_ws(n.text[n.cut_front])) ++n.cut_front;
    }
  }
  for (auto& t : ts)
    if (!t.tag)
      t.text = t.cut_front < t.cut_back ? t.text.substr(t.cut_front, t.cut_back - t.cut_front)
                                        : std::string();
}

inline bool id_char(char c) noexcept {
  return !is_ws(c) &&
         std::string_view("!\"#%&'()*+,./;<=>@[\\]^`{|}~").find(c) == std::string_view::npos;
}

// "contact.firstName", "../x", "this", "@index", "@root.a.b", "a.[odd key]".
inline bool parse_path(std::string_view s, path& p) {
  p.source = std::string(s);
  if (s.starts_with("@root")) {
    p.root = true, s.remove_prefix(5);
    if (s.empty()) return true;
    if (s[0] != '.' && s[0] != '/') return false;
    s.remove_prefix(1);
  } else if (s.starts_with("@")) {
    s.remove_prefix(1);
    p.data = true;
  }
  while (s.starts_with("../")) ++p.up, s.remove_prefix(3);
  if (s == "this" || s == "." || s.empty()) return !p.data && !s.empty();
  if (s.starts_with("this.") || s.starts_with("this/")) s.remove_prefix(5);
  if (s.starts_with("./")) s.remove_prefix(2);
  while (true) {
    std::string seg;
    if (!s.empty() && s[0] == '[') {
      const auto close = s.find(']');
      if (close == std::string_view::npos || close == 1) return false;
      seg = std::string(s.substr(1, close - 1));
      s.remove_prefix(close + 1);
    } else {
      std::size_t n = 0;
      while (n < s.size() && id_char(s[n])) ++n;
      if (n == 0) return false;
      seg = std::string(s.substr(0, n));
      s.remove_prefix(n);
    }
    p.segments.push_back(std::move(seg));
    if (s.empty()) break;
    if (s[0] != '.' && s[0] != '/') return false;
    s.remove_prefix(1);
  }
  if (p.data)
    return p.segments.size() == 1 && (p.segments[0] == "index" || p.segments[0] == "key" ||
                                      p.segments[0] == "first" || p.segments[0] == "last");
  return true;
}

class parser {
 public:
  parser(std::vector<token>& ts, std::string_view part, const template_limits& lim, program& prog)
      : ts_(ts), part_(part), lim_(lim), prog_(prog) {}

  result<std::vector<node>> parse_list(std::size_t depth) {
    if (depth > lim_.max_depth)
      return fail(errc::too_deep, part_, line(), "blocks nested too deep");
    std::vector<node> out;
    while (i_ < ts_.size()) {
      token& t = ts_[i_];
      if (!t.tag) {
        if (!t.text.empty()) out.push_back(make_node(node_kind::text, std::move(t.text)));
        ++i_;
        continue;
      }
      if (t.sigil == '/' || t.sigil == 'e' || (t.sigil == '^' && t.text.empty())) return out;
      ++i_;
      if (t.sigil == '!') continue;
      if (t.sigil == '#' || t.sigil == '^') {
        auto r = parse_block(t, depth);
        if (!r) return r.error();
        if (*r) out.push_back(std::move(**r));
        continue;
      }
      if (t.sigil == '>') {
        auto r = parse_partial(t);
        if (!r) return r.error();
        out.push_back(std::move(*r));
        continue;
      }
      node n = make_node(node_kind::value);
      if (t.text.find_first_of(" \t\r\n") != std::string::npos)
        return fail(
            errc::bad_value, part_, t.line,
            "'" + t.text + "': helpers other than if, unless, each and with are not supported");
      if (!parse_path(t.text, n.arg))
        return fail(errc::bad_value, part_, t.line, "'" + t.text + "' is not a variable name");
      n.has_arg = true;
      out.push_back(std::move(n));
    }
    return out;
  }

  std::size_t at() const noexcept { return i_; }
  std::size_t line() const noexcept { return i_ < ts_.size() ? ts_[i_].line : last_line(); }

 private:
  std::size_t last_line() const noexcept { return ts_.empty() ? 1 : ts_.back().line; }

  // After "{{#name arg}}": the body, an optional else (or else-if chain), the close tag.
  result<std::optional<node>> parse_block(const token& t, std::size_t depth) {
    std::string_view spec = t.text;
    if (t.sigil == '#' && spec.starts_with("*")) return parse_inline(t, depth);
    std::string name, closes;
    if (t.sigil == '^') {
      name = "unless", closes = t.text;  // {{^x}}…{{/x}} is Handlebars' inverted section
    } else {
      const auto sp = spec.find_first_of(" \t\r\n");
      name = std::string(spec.substr(0, sp));
      spec = sp == std::string_view::npos ? std::string_view() : trim(spec.substr(sp));
    }
    node n = make_node(node_kind::block);
    if (name == "if")
      n.h = helper::if_;
    else if (name == "unless")
      n.h = helper::unless;
    else if (name == "each")
      n.h = helper::each;
    else if (name == "with")
      n.h = helper::with;
    else
      return fail(errc::bad_value, part_, t.line,
                  "'{{#" + name + "}}': only if, unless, each, with and inline partials");
    if (auto st = block_arg(n, t.sigil == '^' ? t.text : spec, t.line, name); !st)
      return st.error();
    if (auto st = block_rest(n, closes.empty() ? name : closes, depth); !st) return st.error();
    return std::optional<node>(std::move(n));
  }

  result<void> block_arg(node& n, std::string_view spec, std::size_t line, std::string_view name) {
    if (spec.empty() || spec.find_first_of(" \t\r\n") != std::string_view::npos ||
        !parse_path(spec, n.arg))
      return fail(errc::bad_value, part_, line,
                  "'{{#" + std::string(name) + "}}' takes one variable name");
    n.has_arg = true;
    return {};
  }

  result<void> block_rest(node& n, std::string_view name, std::size_t depth) {
    auto body = parse_list(depth + 1);
    if (!body) return body.error();
    n.body = std::move(*body);
    if (i_ < ts_.size() &&
        (ts_[i_].sigil == 'e' || (ts_[i_].sigil == '^' && ts_[i_].text.empty()))) {
      const token& e = ts_[i_++];
      std::string_view rest = e.text;
      if (!rest.empty()) {  // {{else if y}}: a block in the inverse, closed by our close tag
        const auto sp = rest.find_first_of(" \t\r\n");
        const auto chained = rest.substr(0, sp);
        if (chained != "if" && chained != "unless")
          return fail(errc::bad_value, part_, e.line, "only {{else if …}} and {{else unless …}}");
        node c = make_node(node_kind::block);
        c.h = chained == "if" ? helper::if_ : helper::unless;
        if (auto st = block_arg(c, sp == std::string_view::npos ? "" : trim(rest.substr(sp)),
                                e.line, chained);
            !st)
          return st.error();
        if (auto st = block_rest(c, name, depth + 1); !st) return st.error();
        n.inverse.push_back(std::move(c));
        return {};
      }
      auto inv = parse_list(depth + 1);
      if (!inv) return inv.error();
      n.inverse = std::move(*inv);
    }
    if (i_ >= ts_.size() || ts_[i_].sigil != '/')
      return fail(
          errc::bad_value, part_, line(),
          "'{{#" + std::string(name) + "}}' is not closed by {{/" + std::string(name) + "}}");
    if (ts_[i_].text != name)
      return fail(errc::bad_value, part_, ts_[i_].line,
                  "{{/" + ts_[i_].text + "}} closes {{#" + std::string(name) + "}}");
    ++i_;
    return {};
  }

  static std::optional<std::string> quoted(std::string_view s) {
    s = trim(s);
    if (s.size() >= 2 && (s[0] == '"' || s[0] == '\'') && s.back() == s[0])
      return std::string(s.substr(1, s.size() - 2));
    if (!s.empty() && s.find_first_of(" \t\r\n\"'") == std::string_view::npos)
      return std::string(s);
    return std::nullopt;
  }

  // {{#*inline "name"}}…{{/inline}}: a partial for {{> name}}; renders nothing where it stands.
  result<std::optional<node>> parse_inline(const token& t, std::size_t depth) {
    std::string_view spec = trim(std::string_view(t.text).substr(1));
    if (!spec.starts_with("inline"))
      return fail(errc::bad_value, part_, t.line, "only the inline decorator ({{#*inline}})");
    auto name = quoted(spec.substr(6));
    if (!name || name->empty())
      return fail(errc::bad_value, part_, t.line, "{{#*inline \"name\"}} needs a name");
    auto body = parse_list(depth + 1);
    if (!body) return body.error();
    if (i_ >= ts_.size() || ts_[i_].sigil != '/' || ts_[i_].text != "inline")
      return fail(errc::bad_value, part_, line(), "{{#*inline}} is not closed by {{/inline}}");
    ++i_;
    prog_.partials.emplace_back(std::move(*name), std::move(*body));
    return std::optional<node>();
  }

  result<node> parse_partial(const token& t) {
    std::string_view spec = t.text;
    std::string_view name_part = spec, ctx;
    if (!spec.empty() && (spec[0] == '"' || spec[0] == '\'')) {
      const auto close = spec.find(spec[0], 1);
      if (close == std::string_view::npos)
        return fail(errc::bad_value, part_, t.line, "an unclosed partial name");
      name_part = spec.substr(0, close + 1), ctx = trim(spec.substr(close + 1));
    } else if (const auto sp = spec.find_first_of(" \t\r\n"); sp != std::string_view::npos) {
      name_part = spec.substr(0, sp), ctx = trim(spec.substr(sp));
    }
    auto name = quoted(name_part);
    if (!name || name->empty())
      return fail(errc::bad_value, part_, t.line, "{{> name}} needs a partial name");
    node n = make_node(node_kind::partial, std::move(*name));
    if (!ctx.empty()) {
      if (ctx.find_first_of(" \t\r\n=") != std::string_view::npos || !parse_path(ctx, n.arg))
        return fail(errc::bad_value, part_, t.line, "{{> name context}} takes one variable");
      n.has_arg = true;
    }
    n.line = t.line;
    return n;
  }

  std::vector<token>& ts_;
  std::string_view part_;
  const template_limits& lim_;
  program& prog_;
  std::size_t i_ = 0;
};

inline bool check_partials(const std::vector<node>& ns, const program& p, std::string_view part,
                           error& err) {
  for (const auto& n : ns) {
    if (n.kind == node_kind::partial) {
      bool found = false;
      for (const auto& [name, body] : p.partials) found = found || name == n.text;
      if (!found) {
        err = {errc::bad_value, std::string(part) + ": line " + std::to_string(n.line) +
                                    ": the partial '" + n.text + "' is not defined ({{#*inline \"" +
                                    n.text + "\"}})"};
        return false;
      }
    }
    if (!check_partials(n.body, p, part, err) || !check_partials(n.inverse, p, part, err))
      return false;
  }
  return true;
}

inline result<program> compile(std::string_view source, std::string_view part,
                               const template_limits& lim) {
  auto ts = tokenize(source, part);
  if (!ts) return ts.error();
  trim_whitespace(*ts);
  program prog;
  parser p(*ts, part, lim, prog);
  auto nodes = p.parse_list(0);
  if (!nodes) return nodes.error();
  if (p.at() < ts->size()) {
    const auto& t = (*ts)[p.at()];
    return fail(errc::bad_value, part, t.line,
                t.sigil == '/' ? "{{/" + t.text + "}} closes nothing" : "{{else}} outside a block");
  }
  prog.nodes = std::move(*nodes);
  error err;
  if (!check_partials(prog.nodes, prog, part, err)) return err;
  for (const auto& [name, body] : prog.partials)
    if (!check_partials(body, prog, part, err)) return err;
  return prog;
}

// JavaScript's Number.prototype.toString (ECMA-262 Number::toString): the shortest digits that
// read back as the same double, placed as JavaScript places them. The digits come from
// snprintf's %e at increasing precision (floating-point to_chars is missing from some standard
// libraries, emscripten's among them), so native and wasm print the same.
inline void append_number(std::string& out, double d) {
  if (d == 0) {
    out += '0';  // -0 too
    return;
  }
  if (d < 0) out += '-', d = -d;
  char buf[40];
  int len = 0;
  for (int p = 0; p < 17; ++p) {
    len = std::snprintf(buf, sizeof buf, "%.*e", p, d);
    if (std::strtod(buf, nullptr) == d) break;
  }
  const std::string_view e(buf, static_cast<std::size_t>(len));
  const auto epos = e.find('e');
  std::string digits;
  for (char c : e.substr(0, epos))
    if (c >= '0' && c <= '9') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int exp10 = 0;
  std::from_chars(e.data() + epos + (e[epos + 1] == '+' ? 2 : 1), e.data() + e.size(), exp10);
  const int k = static_cast<int>(digits.size()), n = exp10 + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<std::size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out.append(digits, 0, static_cast<std::size_t>(n));
    out += '.';
    out.append(digits, static_cast<std::size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<std::size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) out += '.', out.append(digits, 1);
    out += n - 1 >= 0 ? "e+" : "e-";
    out += std::to_string(n - 1 >= 0 ? n - 1 : 1 - n);
  }
}

// JavaScript's String(value), which Handlebars prints.
inline void append_value(std::string& out, const json::value& v) {
  char buf[32];
  switch (v.kind()) {
    case json::kind::string:
      out += v.get_string();
      return;
    case json::kind::int64:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, v.get_int64()).ptr);
      return;
    case json::kind::uint64:
      out.append(buf, std::to_chars(buf, buf + sizeof buf, v.get_uint64()).ptr);
      return;
    case json::kind::double_:
      append_number(out, v.get_double());
      return;
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return;
    case json::kind::null:
      return;
    case json::kind::array: {
      bool first = true;
      for (const auto& x : v.get_array()) {
        if (!first) out += ',';
        first = false;
        append_value(out, x);
      }
      return;
    }
    case json::kind::object:
      out += "[object Object]";
      return;
  }
}

// JavaScript truthiness, with Handlebars' empty list as false.
inline bool truthy(const json::value& v) noexcept {
  switch (v.kind()) {
    case json::kind::null:
      return false;
    case json::kind::bool_:
      return v.get_bool();
    case json::kind::int64:
      return v.get_int64() != 0;
    case json::kind::uint64:
      return v.get_uint64() != 0;
    case json::kind::double_:
      return v.get_double() != 0;
    case json::kind::string:
      return !v.get_string().empty();
    case json::kind::array:
      return !v.get_array().empty();
    case json::kind::object:
      return true;
  }
  return false;
}

struct frame {
  const json::value* ctx = nullptr;
  bool each = false;  // carries @index, @key, @first, @last
  std::size_t index = 0;
  std::string_view key;
  bool keyed = false, first = false, last = false;
};

// A resolved path: a pointer into the data, or a value made here (@index), or nothing.
struct ref {
  const json::value* p = nullptr;
  json::value own;
  bool found = false;
  const json::value& get() const noexcept { return p ? *p : own; }
};

class renderer {
 public:
  renderer(const program& prog, const json::value& root, const template_limits& lim,
           std::size_t& steps, std::size_t& written, std::vector<std::string>& missing,
           std::unordered_set<std::string>& seen)
      : prog_(prog),
        root_(root),
        lim_(lim),
        steps_(steps),
        written_(written),
        missing_(missing),
        seen_(seen) {
    frame f;
    f.ctx = &root;
    stack_.push_back(f);
  }

  result<void> run(const std::vector<node>& ns, std::string& out, std::size_t depth) {
    if (depth > lim_.max_depth) return error{errc::too_deep, "partials nested too deep"};
    for (const auto& n : ns) {
      if (!step()) return too_long();
      switch (n.kind) {
        case node_kind::text:
          if (!write(out, n.text)) return too_large();
          break;
        case node_kind::value: {
          auto r = resolve(n.arg);
          if (!r.found) {
            if (seen_.insert(n.arg.source).second) missing_.push_back(n.arg.source);
            break;
          }
          const auto before = out.size();
          append_value(out, r.get());
          written_ += out.size() - before;
          if (written_ > lim_.max_output) return too_large();
          break;
        }
        case node_kind::block:
          if (auto st = block(n, out, depth); !st) return st;
          break;
        case node_kind::partial:
          if (auto st = partial(n, out, depth); !st) return st;
          break;
      }
    }
    return {};
  }

 private:
  bool step() noexcept { return ++steps_ <= lim_.max_steps; }
  error too_long() const {
    return {errc::limit_exceeded,
            "rendering needs more than " + std::to_string(lim_.max_steps) + " steps"};
  }
  error too_large() const {
    return {errc::too_large,
            "the rendered mail is larger than " + std::to_string(lim_.max_output) + " bytes"};
  }
  bool write(std::string& out, std::string_view s) {
    written_ += s.size();
    if (written_ > lim_.max_output) return false;
    out += s;
    return true;
  }

  ref resolve(const path& p) const {
    ref r;
    if (p.data) {
      for (auto it = stack_.rbegin(); it != stack_.rend(); ++it) {
        if (!it->each) continue;
        const auto& name = p.segments[0];
        if (name == "index")
          r.own = static_cast<std::uint64_t>(it->index);
        else if (name == "first")
          r.own = it->first;
        else if (name == "last")
          r.own = it->last;
        else if (it->keyed)
          r.own = json::string(it->key);
        else
          r.own = static_cast<std::uint64_t>(it->index);
        r.found = true;
        return r;
      }
      return r;
    }
    const json::value* cur = nullptr;
    if (p.root)
      cur = &root_;
    else if (p.up < stack_.size())
      cur = stack_[stack_.size() - 1 - p.up].ctx;
    else
      return r;
    for (const auto& seg : p.segments) {
      if (const auto* o = cur->if_object()) {
        cur = o->if_contains(seg);
      } else if (const auto* a = cur->if_array()) {
        if (seg == "length") {
          r.own = static_cast<std::uint64_t>(a->size());
          r.found = &seg == &p.segments.back();
          return r;
        }
        std::size_t idx = 0;
        const auto [ptr, ec] = std::from_chars(seg.data(), seg.data() + seg.size(), idx);
        cur = ec == std::errc{} && ptr == seg.data() + seg.size() && idx < a->size() ? &(*a)[idx]
                                                                                     : nullptr;
      } else if (const auto* s = cur->if_string(); s && seg == "length") {
        r.own = static_cast<std::uint64_t>(s->size());
        r.found = &seg == &p.segments.back();
        return r;
      } else {
        cur = nullptr;
      }
      if (!cur) return r;
    }
    r.p = cur;
    r.found = true;
    return r;
  }

  result<void> block(const node& n, std::string& out, std::size_t depth) {
    const auto r = resolve(n.arg);
    const json::value& v = r.get();
    const bool t = r.found && truthy(v);
    switch (n.h) {
      case helper::if_:
        return run(t ? n.body : n.inverse, out, depth + 1);
      case helper::unless:
        return run(t ? n.inverse : n.body, out, depth + 1);
      case helper::with: {
        if (!t) return run(n.inverse, out, depth + 1);
        frame f = stack_.back();
        f.ctx = r.p ? r.p : &keep(r.own);
        stack_.push_back(f);
        auto st = run(n.body, out, depth + 1);
        stack_.pop_back();
        return st;
      }
      case helper::each:
        break;
    }
    if (!t || !(v.is_array() || v.is_object())) return run(n.inverse, out, depth + 1);
    const json::value& list = r.p ? *r.p : keep(r.own);
    frame f;
    f.each = true;
    std::size_t i = 0;
    auto one = [&](const json::value& item, std::string_view key, bool keyed,
                   bool last) -> result<void> {
      if (!step()) return too_long();  // an empty body still costs its iterations
      f.ctx = &item, f.index = i, f.key = key, f.keyed = keyed, f.first = i == 0, f.last = last;
      ++i;
      stack_.push_back(f);
      auto st = run(n.body, out, depth + 1);
      stack_.pop_back();
      return st;
    };
    if (const auto* a = list.if_array()) {
      for (const auto& item : *a)
        if (auto st = one(item, {}, false, i + 1 == a->size()); !st) return st;
    } else {
      const auto& o = list.get_object();
      for (const auto& kv : o)
        if (auto st = one(kv.value(), kv.key(), true, i + 1 == o.size()); !st) return st;
    }
    return {};
  }

  result<void> partial(const node& n, std::string& out, std::size_t depth) {
    const std::vector<node>* body = nullptr;
    for (const auto& [name, b] : prog_.partials)
      if (name == n.text) body = &b;
    if (!body) return error{errc::bad_value, "the partial '" + n.text + "' is not defined"};
    if (!n.has_arg) return run(*body, out, depth + 1);
    auto r = resolve(n.arg);
    frame f = stack_.back();
    f.ctx = r.p ? r.p : &keep(r.own);
    stack_.push_back(f);
    auto st = run(*body, out, depth + 1);
    stack_.pop_back();
    return st;
  }

  // Values made while rendering (a list's length used as a context) live until the end.
  const json::value& keep(const json::value& v) {
    kept_.push_back(std::make_unique<json::value>(v));
    return *kept_.back();
  }

  const program& prog_;
  const json::value& root_;
  const template_limits& lim_;
  std::size_t& steps_;
  std::size_t& written_;
  std::vector<std::string>& missing_;
  std::unordered_set<std::string>& seen_;
  std::vector<frame> stack_;
  std::vector<std::unique_ptr<json::value>> kept_;
};

}  // namespace detail::tmpl

/// A template parsed once, to be rendered many times (a sender keeps it while the source is
/// unchanged: parsing is most of a render's cost).
struct compiled_template {
  email_template source;
  std::array<detail::tmpl::program, 3> parts;  // subject, text, html
};

/// Parses the three parts (what CreateEmailTemplate would store); the first error names the part
/// and line ("html: line 3: '{{#if}}' is not closed by {{/if}}").
inline result<compiled_template> compile_template(const email_template& t,
                                                  const template_limits& lim = {}) {
  if (t.subject.size() + t.text.size() + t.html.size() > lim.max_source)
    return error{errc::too_large,
                 "the template is larger than " + std::to_string(lim.max_source) + " bytes"};
  compiled_template out;
  out.source = t;
  const std::array<std::pair<std::string_view, const std::string*>, 3> parts{
      {{"subject", &t.subject}, {"text", &t.text}, {"html", &t.html}}};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    auto p = detail::tmpl::compile(*parts[i].second, parts[i].first, lim);
    if (!p) return p.error();
    out.parts[i] = std::move(*p);
  }
  return out;
}

/// Checks the three parts' syntax.
inline result<void> check_template(const email_template& t, const template_limits& lim = {}) {
  auto c = compile_template(t, lim);
  if (!c) return c.error();
  return {};
}

/// Renders a compiled template with `data` (the TemplateData object). Missing variables are
/// listed, not an error: the caller decides (a send refuses, a preview shows them).
inline result<rendered_template> render_template(const compiled_template& t,
                                                 const boost::json::value& data,
                                                 const template_limits& lim = {}) {
  if (!data.is_object()) return error{errc::not_an_object, "template data must be a JSON object"};
  rendered_template out;
  std::size_t steps = 0, written = 0;
  std::unordered_set<std::string> seen;
  const std::array<std::pair<std::string_view, std::string*>, 3> parts{
      {{"subject", &out.subject}, {"text", &out.text}, {"html", &out.html}}};
  for (std::size_t i = 0; i < parts.size(); ++i) {
    detail::tmpl::renderer r(t.parts[i], data, lim, steps, written, out.missing, seen);
    if (auto st = r.run(t.parts[i].nodes, *parts[i].second, 0); !st) {
      auto e = st.error();
      e.message = std::string(parts[i].first) + ": " + e.message;
      return e;
    }
  }
  return out;
}

/// Parses and renders in one call.
inline result<rendered_template> render_template(const email_template& t,
                                                 const boost::json::value& data,
                                                 const template_limits& lim = {}) {
  if (!data.is_object()) return error{errc::not_an_object, "template data must be a JSON object"};
  auto c = compile_template(t, lim);
  if (!c) return c.error();
  return render_template(*c, data, lim);
}

/// The data as JSON text (what SES's TemplateData carries): parsed with the same depth limit.
inline result<boost::json::value> parse_template_data(std::string_view data_json,
                                                      const template_limits& lim = {}) {
  boost::system::error_code ec;
  boost::json::parse_options po;
  po.max_depth = lim.max_depth;
  auto v = boost::json::parse(data_json.empty() ? std::string_view("{}") : data_json, ec, {}, po);
  if (ec) return error{errc::bad_json, "template data is not JSON: " + ec.message()};
  return v;
}

/// The same with the data as JSON text.
inline result<rendered_template> render_template_json(const email_template& t,
                                                      std::string_view data_json,
                                                      const template_limits& lim = {}) {
  auto v = parse_template_data(data_json, lim);
  if (!v) return v.error();
  return render_template(t, *v, lim);
}

}  // namespace sesami
