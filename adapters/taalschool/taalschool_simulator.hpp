#pragma once

#include <map>
#include <string>
#include <vector>

#include "gateway/calendar/civil_date.hpp"
#include "gateway/http/https_client.hpp"

namespace ketenpoort {

// One ELIP participant as a school's administration knows them (synthetic).
struct TaalschoolPupil {
  std::string bsn;
  std::string route = "inburgering";  // or "ontheffing"
  std::int32_t hours_followed = 240;
  std::string loan_used_eur = "8125.00";
  std::int32_t lessons_planned = 40;
  std::int32_t lessons_attended = 34;
  std::string remarks;  // the teacher's free text; empty: none
};

// The two documents a school pushes, in the format of docs/adapters/taalschool.md.
std::string elipAanmeldingJson(const TaalschoolPupil& pupil);
std::string aanwezigheidJson(const TaalschoolPupil& pupil, const CivilDate& period_start, const CivilDate& period_end);

struct TaalschoolSimulatorOptions {
  HttpsClientOptions gateway;  // the school's certificate, the gateway's address
  std::string gemeente;        // X-Ontvanger: the gemeente the school works for ("" = by koppeling)
  std::vector<TaalschoolPupil> pupils;
  CivilDate period_start;
  CivilDate period_end;
};

struct TaalschoolPush {
  std::string flow;
  unsigned status = 0;  // 0: no answer
  std::string code;     // the problem code when refused, or the transport error
};

// `ketenpoort simulate taalschool`: registers each pupil for ELIP, then reports their
// attendance; one push each, in order, answers as the gateway gave them.
std::vector<TaalschoolPush> runTaalschoolSimulator(const TaalschoolSimulatorOptions& options);

}  // namespace ketenpoort
