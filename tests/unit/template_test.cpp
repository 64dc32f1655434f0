#include <sesami/template.hpp>

#include <string>

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace sesami;

namespace {
// The text part of a template rendered with `data` (JSON text).
std::string text_of(std::string src, std::string_view data = "{}") {
  email_template t;
  t.text = std::move(src);
  auto r = render_template_json(t, data);
  REQUIRE(r.has_value());
  return r->text;
}
std::vector<std::string> missing_of(std::string src, std::string_view data = "{}") {
  email_template t;
  t.text = std::move(src);
  auto r = render_template_json(t, data);
  REQUIRE(r.has_value());
  return r->missing;
}
errc error_of(std::string src, std::string_view data = "{}", template_limits lim = {}) {
  email_template t;
  t.html = std::move(src);
  auto r = render_template_json(t, data, lim);
  REQUIRE_FALSE(r.has_value());
  return r.error().code;
}
}  // namespace

TEST_CASE("variables as SES documents them", "[template]") {
  SECTION("the three parts render, extra data is ignored") {
    email_template t{"Hello, {{name}}!", "Dear {{name}},\r\nYour favorite color is {{color}}.",
                     "<h1>Hello {{name}},</h1><p>{{color}}</p>"};
    auto r = render_template_json(t, R"({"name":"Jane","color":"blue","unused":10})");
    REQUIRE(r.has_value());
    CHECK(r->subject == "Hello, Jane!");
    CHECK(r->text == "Dear Jane,\r\nYour favorite color is blue.");
    CHECK(r->html == "<h1>Hello Jane,</h1><p>blue</p>");
    CHECK(r->missing.empty());
  }
  SECTION("nested attributes, this, @root, ../ and array access") {
    const auto data = R"({"contact":{"firstName":"Anaya","city":"Bengaluru"},
      "items":["a","b"],"meta":{"id":7}})";
    CHECK(text_of("Hello {{contact.firstName}} of {{contact/city}}", data) ==
          "Hello Anaya of Bengaluru");
    CHECK(text_of("{{#with contact}}{{firstName}} {{../meta.id}} {{@root.meta.id}}{{/with}}",
                  data) == "Anaya 7 7");
    CHECK(text_of("{{items.length}} {{items.1}} {{items.[0]}}", data) == "2 b a");
    CHECK(text_of("{{this.meta.id}}", data) == "7");
  }
  SECTION("values print as JavaScript prints them") {
    CHECK(text_of("{{a}}|{{b}}|{{c}}|{{d}}|{{e}}|{{f}}|{{g}}|{{h}}",
                  R"({"a":1.5,"b":true,"c":null,"d":[1,"x",null],"e":{"k":1},"f":-0.0,
                      "g":12345678901,"h":1e21})") ==
          "1.5|true||1,x,|[object Object]|0|12345678901|1e+21");
  }
  SECTION("numbers as JavaScript's Number toString writes them") {
    CHECK(text_of("{{a}} {{b}} {{c}} {{d}} {{e}} {{f}} {{g}} {{h}}",
                  R"({"a":0.1,"b":100.0,"c":1e20,"d":1.5e-7,"e":0.000001,"f":-2.5,"g":123.456,
                      "h":1.7976931348623157e308})") ==
          "0.1 100 100000000000000000000 1.5e-7 0.000001 -2.5 123.456 1.7976931348623157e+308");
  }
  SECTION("SES does not escape HTML: {{x}} and {{{x}}} print the same") {
    email_template t{"", "", "<p>{{x}}</p><p>{{{x}}}</p><p>{{& x}}</p>"};
    auto r = render_template_json(t, R"({"x":"<b>&</b>"})");
    REQUIRE(r.has_value());
    CHECK(r->html == "<p><b>&</b></p><p><b>&</b></p><p><b>&</b></p>");
  }
  SECTION("\\{{ prints braces; comments print nothing") {
    CHECK(text_of(R"(\{{name}} {{! note }}{{!-- a }} b --}}x)", R"({"name":"J"})") == "{{name}} x");
  }
}

TEST_CASE("missing variables are reported, conditions on them are false", "[template]") {
  CHECK(missing_of("Dear {{name}}, {{color}} {{name}} {{a.b}}", R"({"name":"J","a":{}})") ==
        std::vector<std::string>{"color", "a.b"});
  SECTION("a null value is present and prints nothing") {
    CHECK(missing_of("{{x}}", R"({"x":null})").empty());
    CHECK(text_of("[{{x}}]", R"({"x":null})") == "[]");
  }
  SECTION("absent in a false branch is not missing; in a loop, once") {
    CHECK(missing_of("{{#if vip}}{{discount}}{{/if}}").empty());
    CHECK(missing_of("{{#each l}}{{n}}{{/each}}", R"({"l":[{},{}]})") ==
          std::vector<std::string>{"n"});
  }
  SECTION("across parts, first use first") {
    email_template t{"{{s}}", "{{t}} {{s}}", "{{h}}"};
    auto r = render_template_json(t, "{}");
    REQUIRE(r.has_value());
    CHECK(r->missing == std::vector<std::string>{"s", "t", "h"});
  }
}

TEST_CASE("blocks: if, unless, each, with, inline partials", "[template]") {
  SECTION("if / else if / else with JavaScript truthiness") {
    const std::string t = "{{#if a}}A{{else if b}}B{{else}}C{{/if}}";
    CHECK(text_of(t, R"({"a":1})") == "A");
    CHECK(text_of(t, R"({"a":0,"b":"x"})") == "B");
    CHECK(text_of(t, R"({"a":"","b":[]})") == "C");
    CHECK(text_of(t, R"({"a":{}})") == "A");
    CHECK(text_of("{{#unless a}}no{{else}}yes{{/unless}}", R"({"a":false})") == "no");
    CHECK(text_of("{{^a}}none{{/a}}", R"({"a":[]})") == "none");
  }
  SECTION("each over lists and objects with @index, @key, @first, @last, else") {
    const auto data = R"({"subscription":[{"interest":"Sports"},{"interest":"Travel"}],
                          "o":{"x":1,"y":2},"none":[]})";
    CHECK(text_of("{{#each subscription}}{{@index}}:{{interest}}{{#unless @last}},{{/unless}}"
                  "{{/each}}",
                  data) == "0:Sports,1:Travel");
    CHECK(text_of("{{#each o}}{{@key}}={{this}}{{#if @first}}!{{/if}};{{/each}}", data) ==
          "x=1!;y=2;");
    CHECK(text_of("{{#each none}}x{{else}}empty{{/each}}", data) == "empty");
    CHECK(text_of("{{#each subscription}}{{#with this}}{{@index}}{{/with}}{{/each}}", data) ==
          "01");
  }
  SECTION("inline partials, SES's documented example") {
    const std::string t =
        "{{#* inline \"fullName\"}}{{firstName}}{{#if lastName}} {{lastName}}{{/if}}"
        "{{/inline}}<h1>Hello {{> fullName}}!</h1>{{> fullName contact}}";
    CHECK(
        text_of(t, R"({"firstName":"Anaya","lastName":"Iyengar","contact":{"firstName":"Bo"}})") ==
        "<h1>Hello Anaya Iyengar!</h1>Bo");
  }
  SECTION("standalone block lines vanish, as Handlebars renders them") {
    CHECK(text_of("<ul>\n  {{#each l}}\n  <li>{{this}}</li>\n  {{/each}}\n</ul>\n",
                  R"({"l":["a","b"]})") == "<ul>\n  <li>a</li>\n  <li>b</li>\n</ul>\n");
    CHECK(text_of("a\n{{#if x}}\nyes\n{{else}}\nno\n{{/if}}\nb", "{}") == "a\nno\nb");
    CHECK(text_of("x {{#if t}}y{{/if}} z", R"({"t":1})") == "x y z");
  }
  SECTION("~ trims whitespace on its side") {
    CHECK(text_of("a  {{~x~}}  \n b", R"({"x":"X"})") == "aXb");
    CHECK(text_of("a {{~#if t}} y {{~/if}} b", R"({"t":1})") == "a y b");
  }
}

TEST_CASE("bad templates are errors that name the part and line", "[template]") {
  auto message = [](std::string html) {
    auto r = check_template({"", "", std::move(html)});
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
  };
  CHECK(message("a\n{{#if x}}") == "html: line 2: '{{#if}}' is not closed by {{/if}}");
  CHECK(message("{{#if x}}{{/each}}") == "html: line 1: {{/each}} closes {{#if}}");
  CHECK(message("{{/if}}") == "html: line 1: {{/if}} closes nothing");
  CHECK(message("{{else}}") == "html: line 1: {{else}} outside a block");
  CHECK(message("{{name") == "html: line 1: a {{ without its closing braces");
  CHECK(message("{{formatDate d}}").find("helpers other than") != std::string::npos);
  CHECK(message("{{#each l as |x|}}{{/each}}").find("takes one variable") != std::string::npos);
  CHECK(message("{{> nope}}") ==
        "html: line 1: the partial 'nope' is not defined ({{#*inline \"nope\"}})");
  CHECK(check_template({"{{a}}", "{{#each x}}{{/each}}", "{{#with y}}{{/with}}"}).has_value());
  SECTION("data must be a JSON object") {
    CHECK(render_template_json({"", "x", ""}, "[1]").error().code == errc::not_an_object);
    CHECK(render_template_json({"", "x", ""}, "{").error().code == errc::bad_json);
  }
}

TEST_CASE("rendering is bounded", "[template]") {
  SECTION("nesting") {
    std::string deep;
    for (int i = 0; i < 40; ++i) deep += "{{#if a}}";
    CHECK(error_of(deep) == errc::too_deep);
  }
  SECTION("a partial calling itself stops at the depth limit") {
    CHECK(error_of("{{#*inline \"p\"}}x{{> p}}{{/inline}}{{> p}}") == errc::too_deep);
  }
  SECTION("nested loops over a long list stop at the step budget") {
    std::string list = "[";
    for (int i = 0; i < 3000; ++i) list += i ? ",0" : "0";
    list += "]";
    CHECK(error_of("{{#each l}}{{#each @root.l}}{{/each}}{{/each}}", R"({"l":)" + list + "}") ==
          errc::limit_exceeded);
  }
  SECTION("output") {
    template_limits lim;
    lim.max_output = 1000;
    std::string big(600, 'x');
    CHECK(error_of("{{x}}{{x}}", R"({"x":")" + big + "\"}", lim) == errc::too_large);
    CHECK(error_of(std::string(2000, 'y'), "{}", lim) == errc::too_large);
  }
  SECTION("source size: SES's 500 KB") {
    CHECK(check_template({"", std::string(400 * 1024, 'a'), std::string(200 * 1024, 'b')})
              .error()
              .code == errc::too_large);
  }
}

TEST_CASE("a compiled template renders many times with different data", "[template]") {
  auto c = compile_template({"Hi {{name}}", "{{#each l}}{{this}}{{/each}}", ""});
  REQUIRE(c.has_value());
  for (const auto& [data, subject, text] : {std::tuple{R"({"name":"A","l":[1,2]})", "Hi A", "12"},
                                            std::tuple{R"({"name":"B","l":[]})", "Hi B", ""}}) {
    auto r = render_template(*c, boost::json::parse(data));
    REQUIRE(r.has_value());
    CHECK(r->subject == subject);
    CHECK(r->text == text);
  }
  CHECK(compile_template({"{{#if", "", ""}).error().code == errc::bad_value);
}
