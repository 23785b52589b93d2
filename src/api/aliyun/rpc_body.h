// RpcBody: one Alibaba RPC response body, written once and rendered as JSON (the default) or as
// the XML that Format=XML asks for. The XML form follows the RPC gateway's: a declaration, a
// root element (e.g. <DescribePortsResponse>, <Error>), one element per field, and an array
// written as its items each in an element named after the array:
//   {"Total":2,"Records":[{"Port":"22"},{"Port":"80"}],"Targets":["a","b"]}
//   <Root><Total>2</Total><Records><Port>22</Port></Records><Records><Port>80</Port></Records>
//   <Targets>a</Targets><Targets>b</Targets></Root>
// Text is escaped for its format; in XML, characters XML 1.0 cannot carry (C0 controls other
// than tab, LF and CR) become U+FFFD. Not thread-safe; one body per response.
#ifndef PORTATLAS_API_ALIYUN_RPC_BODY_H_
#define PORTATLAS_API_ALIYUN_RPC_BODY_H_

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/http.h"
#include "core/json_writer.h"

namespace portatlas::api::aliyun {

class RpcBody {
 public:
  // Opens the root object; `root` names the XML root element (unused in JSON).
  RpcBody(bool xml, std::string_view root);
  RpcBody(const RpcBody&) = delete;
  RpcBody& operator=(const RpcBody&) = delete;

  RpcBody& Str(std::string_view key, std::string_view value);
  RpcBody& Int(std::string_view key, int64_t value);
  // Written with at most two decimals (JSON number, XML text), e.g. 42.86 or 100.
  RpcBody& Float(std::string_view key, double value);

  // An array field: between BeginArray and EndArray, add object items (BeginItem ... fields ...
  // EndItem) or string items (StrItem). An object item may hold arrays of its own.
  RpcBody& BeginArray(std::string_view key);
  RpcBody& EndArray();
  RpcBody& BeginItem();
  RpcBody& EndItem();
  RpcBody& StrItem(std::string_view value);

  // Closes the root and returns the response: JSON as application/json, XML as
  // text/xml;charset=utf-8. Call once, last.
  Response Done(int status = 200);

 private:
  void XmlOpen(std::string_view name);
  void XmlClose(std::string_view name);
  void XmlText(std::string_view text);

  bool xml_;
  std::string root_;
  rapidjson::StringBuffer json_buf_;
  JsonWriter json_;
  std::string xml_out_;
  std::vector<std::string> arrays_;  // the open arrays' names, innermost last (XML items)
};

}  // namespace portatlas::api::aliyun

#endif  // PORTATLAS_API_ALIYUN_RPC_BODY_H_
