// Checks shared by the public forms (pledges, reminders): what a short identifier, a language
// tag, printable text and an email address look like. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace supportd::http {

// Without leading and trailing spaces, tabs and line breaks.
std::string_view trim(std::string_view s);

// No control characters.
bool printable(std::string_view s);

// Short identifiers for attribution and payment methods: at most 64 of letters, digits, - _ . /
bool is_token(std::string_view s);

// A BCP 47-ish language tag: "en", "en-GB", "pt-BR", "zh-Hant-TW".
bool is_locale(std::string_view s);

// Trimmed and lower-cased whole; nullopt when it is not a plausible address.
std::optional<std::string> normalize_email(std::string_view email);

}  // namespace supportd::http
