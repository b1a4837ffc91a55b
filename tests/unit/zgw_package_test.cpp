// Issue 28: the package the ZGW format makes at push time and the channel delivers.
#include <gtest/gtest.h>

#include "adapters/zgw/zgw_package.hpp"

namespace ketenpoort {
namespace {

ZgwPackage package() {
  ZgwPackage p;
  p.transaction_id = "0193f2a1-c9e0-7b5d-a2c4-e6f8a0b1c2d3";
  p.identificatie = *zgwIdentificatie(p.transaction_id);
  p.titel = "Klantprofiel van COA";
  p.vertrouwelijkheidaanduiding = "vertrouwelijk";
  p.bsn = "999993653";
  p.readable_html = "<!DOCTYPE html><p>Klantprofiel \xe2\x80\x94 ja</p>";
  p.machine_json = R"({"gegevens":{"persoon":{"bsn":"999993653"}}})";
  return p;
}

TEST(ZgwIdentificatie, IsTheTransactionsNotThePersonsAndFitsWithItsSuffixes) {
  const auto id = zgwIdentificatie("0193F2A1-C9E0-7B5D-A2C4-E6F8A0B1C2D3");
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, "KTP-0193f2a1c9e07b5da2c4e6f8a0b1c2d3");  // one spelling for one transaction
  EXPECT_LE(id->size() + 2, 40u);                          // "-L", "-J": the standard's 40
  EXPECT_EQ(zgwIdentificatie("0193f2a1-c9e0-7b5d-a2c4-e6f8a0b1c2d3"), id);
  EXPECT_FALSE(zgwIdentificatie("999993653"));
  EXPECT_FALSE(zgwIdentificatie(""));
}

TEST(ZgwPackage, IsKeptWholeAndReadBackAsItWas) {
  const ZgwPackage p = package();
  const auto back = parseZgwPackage(serializeZgwPackage(p));
  ASSERT_TRUE(back);
  EXPECT_EQ(back->identificatie, p.identificatie);
  EXPECT_EQ(back->bsn, p.bsn);
  EXPECT_EQ(back->readable_html, p.readable_html);
  EXPECT_EQ(back->machine_json, p.machine_json);
  EXPECT_EQ(back->vertrouwelijkheidaanduiding, "vertrouwelijk");
}

TEST(ZgwPackage, WhatIsNotAWholePackageIsNotDelivered) {
  EXPECT_FALSE(parseZgwPackage(""));
  EXPECT_FALSE(parseZgwPackage("{}"));
  EXPECT_FALSE(parseZgwPackage(R"({"version":2})"));
  ZgwPackage both = package();
  both.vnummer = "2093847561";  // a person by two numbers: which one is the betrokkene?
  EXPECT_FALSE(parseZgwPackage(serializeZgwPackage(both)));
  ZgwPackage neither = package();
  neither.bsn.clear();
  EXPECT_FALSE(parseZgwPackage(serializeZgwPackage(neither)));
  ZgwPackage other = package();
  other.identificatie = "KTP-" + std::string(32, '0');  // not this transaction's
  EXPECT_FALSE(parseZgwPackage(serializeZgwPackage(other)));
  std::string cut = serializeZgwPackage(package());
  cut.resize(cut.size() / 2);
  EXPECT_FALSE(parseZgwPackage(cut));
}

}  // namespace
}  // namespace ketenpoort
