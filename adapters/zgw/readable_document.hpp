#pragma once

#include <string>
#include <vector>

namespace ketenpoort {

// What a consulent reads in the case system: one message as a document, in Dutch. The
// delivered fields by their labels (from the mapping's field dictionary) with their
// values; the withheld ones by label and reason only, never a value, so the consulent
// knows what was not passed on and need not ask for it again.
struct ReadableDocument {
  std::string title;           // "Klantprofiel van COA"
  std::string sender;          // the sending organisation's name
  std::string purpose;         // the flow's purpose in Dutch (<purpose nl>)
  std::string legal_basis;     // the grondslag the message was passed on under
  std::string transaction_id;  // what the exchange log and the privacy officer know it by
  std::string sent_at;         // RFC 3339, shown in Dutch
  struct Field {
    std::string label;
    std::string value;  // as delivered; dates and yes/no shown in Dutch
  };
  std::vector<Field> delivered;
  struct Withheld {
    std::string label;
    std::string reason;  // in plain Dutch (the vocabulary's words)
  };
  std::vector<Withheld> withheld;
};

// An HTML page (UTF-8, lang="nl", its style inline, printable on A4) that needs nothing
// from elsewhere: no script, no image, no link out. Every value is escaped; a value that
// is not UTF-8 shows U+FFFD.
std::string renderReadableDocument(const ReadableDocument& document);

}  // namespace ketenpoort
