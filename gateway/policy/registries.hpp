#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/identity/oin.hpp"

namespace ketenpoort {

// Who a message is about: a BSN, or before BRP registration a V-nummer. Registries that
// persist it store a keyed hash, never the number (see the exchange-log issue).
struct SubjectKey {
  enum class Kind { kBsn, kVnummer };
  Kind kind = Kind::kBsn;
  std::string value;
};

// The koppeling in force for a person on a date: the gemeente (CBS code) and the day it
// holds from.
struct KoppelingInForce {
  std::string gemeente_cbs_code;
  CivilDate valid_from;
};

// Which gemeente a person is gekoppeld to on a date (CBS code), if any.
class KoppelingRegistry {
 public:
  virtual ~KoppelingRegistry() = default;
  virtual std::optional<KoppelingInForce> koppelingOf(const SubjectKey& subject, const CivilDate& date) const = 0;
  std::optional<std::string> gemeenteOf(const SubjectKey& subject, const CivilDate& date) const {
    auto k = koppelingOf(subject, date);
    return k ? std::optional<std::string>(std::move(k->gemeente_cbs_code)) : std::nullopt;
  }
};

// A processor agreement or covenant: the id of one valid on `date` between `party_id`
// and the gemeente for `purpose_id`.
class AgreementRegistry {
 public:
  virtual ~AgreementRegistry() = default;
  virtual std::optional<std::string> findValid(std::string_view party_id, std::string_view purpose_id,
                                               std::string_view gemeente_cbs_code, const CivilDate& date) const = 0;
};

// The id of a consent of `subject` for `purpose_id` towards `recipient`, granted on or
// before `date`, not expired and not withdrawn.
class ConsentRegistry {
 public:
  virtual ~ConsentRegistry() = default;
  virtual std::optional<std::string> findActive(const SubjectKey& subject, std::string_view purpose_id,
                                                const Oin& recipient, const CivilDate& date) const = 0;
};

// Which identifiers are one person. A person has a V-nummer before BRP registration and
// a BSN after; COA's messages that carry both link them. Every other registry answers for
// the person, whichever identifier it is asked with (a koppeling learnt under the BSN
// holds for a message that names only the V-nummer).
class IdentityRegistry {
 public:
  enum class Link {
    kUnknown,   // neither number is linked to another: this message may link them
    kLinked,    // linked to each other already
    kConflict,  // one of them is linked to another number: two persons in one message
  };
  virtual ~IdentityRegistry() = default;
  virtual Link linkOf(const std::string& bsn, const std::string& vnummer) const = 0;
};

struct Registries {
  const KoppelingRegistry& koppeling;
  const AgreementRegistry& agreements;
  const ConsentRegistry& consents;
  const IdentityRegistry& identities;
};

}  // namespace ketenpoort
