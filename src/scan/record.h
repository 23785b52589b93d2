// scan::ScanRecord: the scan's name for the one record type of core/scan_record.h.
#ifndef PORTATLAS_SCAN_RECORD_H_
#define PORTATLAS_SCAN_RECORD_H_

#include "core/scan_record.h"

namespace portatlas::scan {

using ScanRecord = ::portatlas::ScanRecord;

}  // namespace portatlas::scan

#endif  // PORTATLAS_SCAN_RECORD_H_
