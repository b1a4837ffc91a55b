#pragma once
// HTML built so that no runtime string can become markup: the console's pages and the
// readable documents the ZGW channel puts in a case system.

#include <concepts>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace ketenpoort::html {

// Markup as the source code writes it: only a string literal converts to one (the
// constructor is consteval), so a string from a record, a form or the configuration can
// never be taken for markup by mistake; it goes in as text().
class Tags {
 public:
  template <std::size_t N>
  consteval Tags(const char (&literal)[N])  // NOLINT(google-explicit-constructor): `m << "<p>"` is the point
      : text_(literal, N - 1) {}
  constexpr std::string_view view() const { return text_; }

 private:
  std::string_view text_;
};

// Text for HTML content and quoted attribute values: & < > " ' escaped, and bytes that
// are not UTF-8 replaced (a value from the log or a form is never trusted to be text).
struct Text {
  std::string_view value;
};
inline Text text(std::string_view value) { return {value}; }

// An HTML page or a part of one, built from Tags (as written), Text (escaped when
// appended), integers and other Markup. Nothing appends a runtime string unescaped.
class Markup {
 public:
  Markup() = default;
  Markup(Tags tags) : html_(tags.view()) {}  // NOLINT(google-explicit-constructor): a literal is markup

  Markup& operator<<(Tags tags) {
    html_ += tags.view();
    return *this;
  }
  Markup& operator<<(Text value);
  Markup& operator<<(const Markup& part) {
    html_ += part.html_;
    return *this;
  }
  template <std::integral Number>
  requires(!std::same_as<Number, char> && !std::same_as<Number, bool>) Markup& operator<<(Number n) {
    html_ += std::to_string(n);
    return *this;
  }
  const std::string& str() const& { return html_; }
  std::string str() && { return std::move(html_); }

 private:
  std::string html_;
};

// `text` escaped as text() escapes it, as a string (the escaping rules' own tests).
std::string escape(std::string_view text);

}  // namespace ketenpoort::html
