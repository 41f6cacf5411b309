// Checks shared by the public forms (pledges, reminders): what text, a short identifier, a
// language tag, an email address and a page URL look like. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/problem.hpp"

namespace supportd::http {

// Without leading and trailing spaces, tabs and line breaks.
std::string_view trim(std::string_view s);

// No control characters.
bool printable(std::string_view s);

// Valid UTF-8 (RFC 3629: shortest forms only, no surrogates, nothing past U+10FFFF) holding no
// control character (C0, DEL, C1). Every text field a reader sends passes this before anything
// else looks at it: what is stored and later written into a delivery's JSON must be text.
bool is_text(std::string_view s);

// The error for field `field` when `value` is not text (is_text); nullopt when it is. Both
// request readers (JSON and form, pledges and reminders) call it for every field they keep.
std::optional<field_error> text_field_error(std::string_view field, std::string_view value);

// Short identifiers for attribution and payment methods: at most 64 of letters, digits, - _ . /
bool is_token(std::string_view s);

// A BCP 47-ish language tag: "en", "en-GB", "pt-BR", "zh-Hant-TW".
bool is_locale(std::string_view s);

// A page the reader came from: an http(s) URL whose origin is one of `allowed_origins` (the
// CORS list); nullopt when it is, else the error for `field` ("invalid_url" when it is not an
// http(s) URL at all, "origin_not_allowed" when it is on another origin).
// The error for a request that carried a card number (common/card_screen.hpp); the value
// itself is never repeated.
field_error card_number_error();

std::optional<field_error> page_url_error(std::string_view field, std::string_view url,
                                          const std::vector<std::string>& allowed_origins);

// Trimmed and lower-cased whole; nullopt when it is not a plausible address.
std::optional<std::string> normalize_email(std::string_view email);

}  // namespace supportd::http
