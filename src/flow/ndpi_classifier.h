// NdpiClassifier: application protocols from packets, through nDPI (Debian's libndpi, 4.2), the
// one place that includes nDPI's headers. A flow's packets go in one by one (layer-3 bytes)
// until nDPI is done with it; then its result: the protocol's name ("TLS", "HTTP", "SSH", ...:
// the master protocol when nDPI gives one, e.g. TLS for TLS.YouTube, else the application) and
// the server name it saw (TLS SNI, HTTP Host, DNS query name), or none.
//
// Not thread-safe: one classifier per thread (nDPI's module is initialised per instance).
#ifndef PORTATLAS_FLOW_NDPI_CLASSIFIER_H_
#define PORTATLAS_FLOW_NDPI_CLASSIFIER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"

struct ndpi_detection_module_struct;
struct ndpi_flow_struct;

namespace portatlas::flow {

class NdpiClassifier {
 public:
  // A flow's detection state (nDPI's flow struct, several KiB). Movable.
  class Flow {
   public:
    Flow();
    ~Flow();
    Flow(Flow&&) noexcept;
    Flow& operator=(Flow&&) noexcept;
    bool done() const { return done_; }

   private:
    friend class NdpiClassifier;
    ndpi_flow_struct* f_ = nullptr;
    bool done_ = false;
    uint16_t master_ = 0;
    uint16_t app_ = 0;
  };

  struct Result {
    std::string protocol;     // "" when not identified
    std::string server_name;  // "" when none was seen
  };

  static portatlas::Result<std::unique_ptr<NdpiClassifier>> Create();
  ~NdpiClassifier();
  NdpiClassifier(const NdpiClassifier&) = delete;
  NdpiClassifier& operator=(const NdpiClassifier&) = delete;

  // Feeds one packet of the flow (its IP header onwards, as captured).
  void Process(Flow& flow, std::span<const uint8_t> l3, int64_t time_ms);
  // The flow's result; gives up on detection if nDPI is not done yet, then, with `guess`, takes
  // nDPI's guess (from the port: its "match by port", what ndpiReader reports too) when
  // dissection found nothing. The flow's state is released.
  Result Finish(Flow& flow, bool guess);

 private:
  NdpiClassifier() = default;
  std::string NameOf(uint16_t master, uint16_t app) const;
  ndpi_detection_module_struct* mod_ = nullptr;
};

}  // namespace portatlas::flow

#endif  // PORTATLAS_FLOW_NDPI_CLASSIFIER_H_
