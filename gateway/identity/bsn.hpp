#pragma once

#include <random>
#include <string>
#include <string_view>

namespace ketenpoort {

// Burgerservicenummer: 9 digits that pass the elfproef
// (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 is divisible by 11, and not all zero).
bool isValidBsn(std::string_view text);

// Replaces every run of exactly nine digits that passes the elfproef by "*********".
// Defence in depth for diagnostic output, which must never carry a BSN.
std::string maskBsns(std::string_view text);

// A BSN that passes the elfproef, drawn at random: it belongs to no one we know of, and
// the generators (demo, simulators, tests) never read real data.
std::string randomSyntheticBsn(std::mt19937_64& rng);

}  // namespace ketenpoort
