// libFuzzer target: FlowDecoder on a run of version-10 datagrams (see decoder_fuzz.h).
#include "flow/decoder_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return portatlas::flow::FuzzDecoder(data, size, 10);
}
