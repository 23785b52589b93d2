#include "api/aliyun/rpc_body.h"

#include <fmt/format.h>

#include <cmath>

#include "core/check.h"

namespace portatlas::api::aliyun {
namespace {

rapidjson::SizeType Size(std::string_view s) { return static_cast<rapidjson::SizeType>(s.size()); }

// `value` rounded to two decimals, without trailing zeros ("42.86", "100", "0.5").
std::string TwoDecimals(double value) {
  if (!std::isfinite(value)) return "0";
  std::string s = fmt::format("{:.2f}", value);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

}  // namespace

RpcBody::RpcBody(bool xml, std::string_view root) : xml_(xml), root_(root), json_(json_buf_) {
  if (xml_) {
    xml_out_ = R"(<?xml version="1.0" encoding="UTF-8"?>)";
    XmlOpen(root_);
  } else {
    json_.StartObject();
  }
}

void RpcBody::XmlOpen(std::string_view name) {
  xml_out_ += '<';
  xml_out_ += name;
  xml_out_ += '>';
}

void RpcBody::XmlClose(std::string_view name) {
  xml_out_ += "</";
  xml_out_ += name;
  xml_out_ += '>';
}

void RpcBody::XmlText(std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '&':
        xml_out_ += "&amp;";
        break;
      case '<':
        xml_out_ += "&lt;";
        break;
      case '>':
        xml_out_ += "&gt;";
        break;
      case '"':
        xml_out_ += "&quot;";
        break;
      case '\'':
        xml_out_ += "&apos;";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
          xml_out_ += "\xEF\xBF\xBD";  // U+FFFD: XML 1.0 has no form for this character
        } else {
          xml_out_ += c;
        }
    }
  }
}

RpcBody& RpcBody::Str(std::string_view key, std::string_view value) {
  if (xml_) {
    XmlOpen(key);
    XmlText(value);
    XmlClose(key);
  } else {
    json_.Key(key.data(), Size(key));
    json_.String(value.data(), Size(value));
  }
  return *this;
}

RpcBody& RpcBody::Int(std::string_view key, int64_t value) {
  if (xml_) {
    XmlOpen(key);
    xml_out_ += fmt::format("{}", value);
    XmlClose(key);
  } else {
    json_.Key(key.data(), Size(key));
    json_.Int64(value);
  }
  return *this;
}

RpcBody& RpcBody::Float(std::string_view key, double value) {
  const std::string text = TwoDecimals(value);
  if (xml_) {
    XmlOpen(key);
    xml_out_ += text;
    XmlClose(key);
  } else {
    json_.Key(key.data(), Size(key));
    json_.RawValue(text.data(), text.size(), rapidjson::kNumberType);
  }
  return *this;
}

RpcBody& RpcBody::BeginArray(std::string_view key) {
  arrays_.emplace_back(key);
  if (!xml_) {
    json_.Key(key.data(), Size(key));
    json_.StartArray();
  }
  return *this;
}

RpcBody& RpcBody::EndArray() {
  PA_CHECK(!arrays_.empty()) << "EndArray without BeginArray";
  arrays_.pop_back();
  if (!xml_) json_.EndArray();
  return *this;
}

RpcBody& RpcBody::BeginItem() {
  PA_CHECK(!arrays_.empty()) << "BeginItem outside an array";
  if (xml_) {
    XmlOpen(arrays_.back());
  } else {
    json_.StartObject();
  }
  return *this;
}

RpcBody& RpcBody::EndItem() {
  PA_CHECK(!arrays_.empty()) << "EndItem outside an array";
  if (xml_) {
    XmlClose(arrays_.back());
  } else {
    json_.EndObject();
  }
  return *this;
}

RpcBody& RpcBody::StrItem(std::string_view value) {
  PA_CHECK(!arrays_.empty()) << "StrItem outside an array";
  if (xml_) {
    XmlOpen(arrays_.back());
    XmlText(value);
    XmlClose(arrays_.back());
  } else {
    json_.String(value.data(), Size(value));
  }
  return *this;
}

Response RpcBody::Done(int status) {
  Response r;
  r.status = status;
  if (xml_) {
    XmlClose(root_);
    r.content_type = "text/xml;charset=utf-8";
    r.body = std::move(xml_out_);
  } else {
    json_.EndObject();
    r.body.assign(json_buf_.GetString(), json_buf_.GetSize());
  }
  return r;
}

}  // namespace portatlas::api::aliyun
