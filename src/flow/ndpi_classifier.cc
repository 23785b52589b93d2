#include "flow/ndpi_classifier.h"

extern "C" {
#include <ndpi/ndpi_api.h>
}

#include <cstring>
#include <utility>

namespace portatlas::flow {

NdpiClassifier::Flow::Flow() {
  f_ = static_cast<ndpi_flow_struct*>(ndpi_flow_malloc(SIZEOF_FLOW_STRUCT));
  if (f_ != nullptr) std::memset(f_, 0, SIZEOF_FLOW_STRUCT);
  done_ = f_ == nullptr;
}

NdpiClassifier::Flow::~Flow() {
  if (f_ != nullptr) ndpi_free_flow(f_);
}

NdpiClassifier::Flow::Flow(Flow&& o) noexcept
    : f_(std::exchange(o.f_, nullptr)), done_(o.done_), master_(o.master_), app_(o.app_) {}

NdpiClassifier::Flow& NdpiClassifier::Flow::operator=(Flow&& o) noexcept {
  if (this != &o) {
    if (f_ != nullptr) ndpi_free_flow(f_);
    f_ = std::exchange(o.f_, nullptr);
    done_ = o.done_;
    master_ = o.master_;
    app_ = o.app_;
  }
  return *this;
}

portatlas::Result<std::unique_ptr<NdpiClassifier>> NdpiClassifier::Create() {
  std::unique_ptr<NdpiClassifier> c(new NdpiClassifier());
  c->mod_ = ndpi_init_detection_module(ndpi_no_prefs);
  if (c->mod_ == nullptr) return InternalError("nDPI: the detection module did not initialise");
  NDPI_PROTOCOL_BITMASK all;
  NDPI_BITMASK_SET_ALL(all);
  ndpi_set_protocol_detection_bitmask2(c->mod_, &all);
  ndpi_finalize_initialization(c->mod_);
  return c;
}

NdpiClassifier::~NdpiClassifier() {
  if (mod_ != nullptr) ndpi_exit_detection_module(mod_);
}

void NdpiClassifier::Process(Flow& flow, std::span<const uint8_t> l3, int64_t time_ms) {
  if (flow.done_ || flow.f_ == nullptr || l3.empty() || l3.size() > 65535) return;
  const ndpi_protocol p = ndpi_detection_process_packet(mod_, flow.f_, l3.data(),
                                                        static_cast<unsigned short>(l3.size()),
                                                        static_cast<u_int64_t>(time_ms));
  flow.master_ = p.master_protocol;
  flow.app_ = p.app_protocol;
  if (p.app_protocol != NDPI_PROTOCOL_UNKNOWN &&
      ndpi_extra_dissection_possible(mod_, flow.f_) == 0) {
    flow.done_ = true;
  }
}

std::string NdpiClassifier::NameOf(uint16_t master, uint16_t app) const {
  const uint16_t id = master != NDPI_PROTOCOL_UNKNOWN ? master : app;
  if (id == NDPI_PROTOCOL_UNKNOWN) return "";
  const char* name = ndpi_get_proto_name(mod_, id);
  return name != nullptr ? name : "";
}

NdpiClassifier::Result NdpiClassifier::Finish(Flow& flow, bool guess) {
  Result r;
  if (flow.f_ == nullptr) return r;
  if (flow.app_ == NDPI_PROTOCOL_UNKNOWN && flow.master_ == NDPI_PROTOCOL_UNKNOWN) {
    uint8_t guessed = 0;
    const ndpi_protocol p = ndpi_detection_giveup(mod_, flow.f_, guess ? 1 : 0, &guessed);
    flow.master_ = p.master_protocol;
    flow.app_ = p.app_protocol;
  }
  r.protocol = NameOf(flow.master_, flow.app_);
  r.server_name =
      std::string(flow.f_->host_server_name,
                  strnlen(flow.f_->host_server_name, sizeof(flow.f_->host_server_name)));
  ndpi_free_flow(flow.f_);
  flow.f_ = nullptr;
  flow.done_ = true;
  return r;
}

}  // namespace portatlas::flow
