#!/usr/bin/env python3
"""Removes each policy rule and each exchange-log check in turn and checks that a test fails
(issue 3: "every rule has a test that fails when the rule is removed"; issue 4: tamper and
fail-closed tests "fail when the check is removed"). Run from the repository root after a
build:

    python3 tests/mutation/policy_rules.py

Each mutation is applied to the source, the two test binaries are rebuilt and run, and the
source is restored. A mutation that survives means a rule nobody tests.
"""
import subprocess
import sys

P = 'gateway/policy/policy_engine.cpp'
L = 'gateway/mapping/mapping_loader.cpp'
F = 'gateway/mapping/field_dictionary.cpp'
M = 'gateway/mapping/record_mapper.cpp'
V = 'gateway/sqlite_store/log_verifier.cpp'
X = 'gateway/sqlite_store/sqlite_exchange_log.cpp'

MUTATIONS = [
    ("flow-not-allowed: sender role", P, "  if (!caller_may) {", "  if (!caller_may && false) {"),
    ("flow-not-allowed: recipient role", P, "  if (!rule) {\n    return refuse(Reason::kFlowNotAllowed",
     "  if (false) {\n    return refuse(Reason::kFlowNotAllowed"),
    ("purpose-mismatch", P, "if (request.stated_purpose != flow.purpose_id) {", "if (false) {"),
    ("invalid-message: mapping errors", P, "if (!request.mapped.ok()) {", "if (false) {"),
    ("invalid-message: no data subject", P, "if (!decision.subject) {", "if (false) {"),
    ("no-agreement", P, "    if (!decision.agreement_id) {", "    if (false) {"),
    ("law-regime: old law", P, "      if (flow.regime == RegimeRule::kWi2021) {", "      if (false) {"),
    ("law-regime: regime unknown", P, "    const auto wi2021 = underWi2021(flow, record);",
     "    const auto wi2021 = std::optional<bool>(underWi2021(flow, record).value_or(true));"),
    ("no-consent: old law under wi2021-or-consent", P,
     "      if (!decision.consent_id) {\n        return refuse(Reason::kNoConsent,\n                      \"the person falls",
     "      if (false) {\n        return refuse(Reason::kNoConsent,\n                      \"the person falls"),
    ("no-koppeling: other gemeente", P, "if (*gekoppeld != *recipient.cbs_code) {", "if (false) {"),
    ("no-koppeling: registered koppeling wins over the message", P,
     "if (registered && gekoppeld && *registered != *gekoppeld) {", "if (false) {"),
    ("no-koppeling: not gekoppeld", P,
     "      gekoppeld = registries_.koppeling.gemeenteOf(subject, request.date);",
     "      gekoppeld = registries_.koppeling.gemeenteOf(subject, request.date).value_or(*recipient.cbs_code);"),
    ("no-consent: consent flow", P, "  if (flow.consent_required && !decision.consent_id) {", "  if (false) {"),
    ("field: not-permitted / special-category", P, "    if (!allowed) {", "    if (false) {"),
    ("field: no-consent for consent-bound field", P, "      if (*field_consent) {", "      if (true) {"),
    ("field: not-mapped withheld", P, "{path, nullptr, false, Reason::kNotMapped}", "{path, nullptr, true, {}}"),
    ("load: special field needs a cited art. 9 exception", L,
     "if (allowed.art9_exception.find(\"art. 9\") == std::string::npos) {", "if (false) {"),
    ("load: field must be in the dictionary", L, "if (field == nullptr) xml_.problem(", "if (false) xml_.problem("),
    ("load: flow ids unique", L, "seen.emplace(flow->id, file); !fresh) {", "seen.emplace(flow->id, file); !fresh && false) {"),
    ("invalid-message: BSN elfproef", F, "      if (isValidBsn(value)) return std::nullopt;", "      return std::nullopt;"),
    ("mapper: unknown content collected", M,
     "    if (!node.text.empty()) out_.record.unmapped_paths.push_back(source_path);\n    for", "    for"),
    ("verify: sequence without gaps", V, "      if (sequence != expected) {", "      if (false) {"),
    ("verify: previous hash links", V, "      } else if (rows.blob(kPrev) != previous) {", "      } else if (false) {"),
    ("verify: ranges link up", V, "    if (!range.bad && range.first_previous != previous) {", "    if (false) {"),
    ("verify: record hash recomputed", V, "      if (rows.blob(kPrev + 1) != hash) {", "      if (false) {"),
    ("verify: checkpoint hash matches", V, "        if (next_checkpoint->hash != hash) {", "        if (false) {"),
    ("verify: truncation below checkpoint", V, "  if (!checkpoints.empty() && checkpoints.back().sequence > last_sequence) {", "  if (false) {"),
    ("verify: lookup key agrees with reference", V, "      if (rows.integer(kPrev + 2) != subjectKey(columns[kSubjectRefColumn])) {", "      if (false) {"),
    ("verify: checkpoint signatures", V, "    if (!verifyLogSignature(public_key_pem,", "    if (false && !verifyLogSignature(public_key_pem,"),
    ("log: failed commit reported as failure", X, "    if (error.empty()) {\n      w.last_sequence", "    if (true) {\n      w.last_sequence"),
    ("log: tail re-read under the write lock", X, "        w.readTail(sequence, hash);\n", "\n"),
    ("log: a refused effect refuses its record", X, "              refused[i] = e.what();\n              continue;", "              (void)e;"),
    ("log: unhealthy after a failed commit", X, "      if (healthy_.exchange(false)) {", "      if (false) {"),
]


def run(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).returncode


def main():
    survived = 0
    for name, path, old, new in MUTATIONS:
        source = open(path).read()
        if old not in source:
            print(f"NOT APPLIED  {name}")
            survived += 1
            continue
        open(path, 'w').write(source.replace(old, new, 1))
        try:
            if run("cmake --build build -j2 --target policy_test mapping_test store_test") != 0:
                verdict = "BUILD FAILED"
                survived += 1
            elif (run("build/tests/unit/policy_test") or run("build/tests/unit/mapping_test")
                  or run("build/tests/unit/store_test")):
                verdict = "caught"
            else:
                verdict = "SURVIVED"
                survived += 1
        finally:
            open(path, 'w').write(source)
        print(f"{verdict:12} {name}")
    run("cmake --build build -j2 --target policy_test mapping_test store_test")
    return 1 if survived else 0


if __name__ == '__main__':
    sys.exit(main())
