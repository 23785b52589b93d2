# Judges service-detection results against the testbed's ground truth (ground_truth.tsv, the
# file operand). Used by tests/testbed/detect_acceptance.sh and bench/detect_bench.sh.
#
#   awk -F'\t' -v ours=FOUND.tsv -f judge_services.awk ground_truth.tsv
#
# FOUND.tsv: "ip proto port<TAB>service<TAB>product<TAB>version<TAB>tls subject<TAB>tls expiry"
# per port. Rules, per ground-truth row:
#   service  equal (nmap-services names: https and imaps for TLS ports)
#   product  case-insensitively, one contains the other
#   version  rows without the "version-hidden" note: ours starts with the upstream version,
#            then ends or goes on with a character that is not a letter or digit; a range
#            "N or later" holding it agrees. Rows with the note: an empty version is right, an
#            agreeing one too, anything else is a made-up version.
#   tls      rows noted "tls" (not "optional") need the certificate's subject and expiry
# Prints "SERVICE|PRODUCT|VERSION|WRONG-VERSION|TLS|MISS key: ..." for each miss, one
# "ROW key<TAB>service_ok<TAB>product_ok<TAB>version(ok|miss|hidden|wrong)" line per row, and
# "RATES rows service_ok product_ok shown version_ok wrong tls_rows tls_ok" at the end.
function lc(s) { return tolower(s) }
function vercmp(a, b,   x, y, i, n) {  # numeric, dot by dot
  n = split(a, x, "."); split(b, y, ".")
  for (i = 1; i <= n || (i in y); i++) { if (x[i] + 0 != y[i] + 0) return x[i] + 0 < y[i] + 0 ? -1 : 1 }
  return 0
}
BEGIN {
  while ((getline line < ours) > 0) {
    split(line, f, "\t")
    svc[f[1]] = f[2]; prod[f[1]] = f[3]; ver[f[1]] = f[4]; subj[f[1]] = f[5]; expiry[f[1]] = f[6]
    seen[f[1]] = 1
  }
}
NR == 1 { next }
{
  key = $1 " " $2 " " $3
  rows++
  hidden = index($7, "version-hidden") > 0
  tls = ($7 ~ /(^|,)tls(,|$)/) && index($7, "optional") == 0
  if (tls) tls_rows++
  if (!hidden) shown++
  if (!(key in seen)) {
    print "MISS  " key ": not reported"
    print "ROW " key "\t0\t0\t" (hidden ? "hidden" : "miss")
    next
  }
  s = svc[key]; p = prod[key]; v = ver[key]
  s_ok = s == $4
  if (s_ok) svc_ok++; else print "SERVICE " key ": \"" s "\" (truth " $4 ")"
  p_ok = p != "" && (index(lc(p), lc($5)) > 0 || index(lc($5), lc(p)) > 0)
  if (p_ok) prod_ok++; else print "PRODUCT " key ": \"" p "\" (truth \"" $5 "\")"
  agrees = v != "" && index(v, $6) == 1 &&
           (length(v) == length($6) || substr(v, length($6) + 1, 1) !~ /[0-9A-Za-z]/)
  if (v ~ /^[0-9.]+ or later$/) { split(v, r, " "); agrees = vercmp($6, r[1]) >= 0 }
  if (hidden) {
    verdict = "hidden"
    if (v != "" && !agrees) {
      wrong++; verdict = "wrong"
      print "WRONG-VERSION " key ": \"" v "\" (truth " $6 ")"
    }
  } else if (agrees) {
    ver_ok++; verdict = "ok"
  } else {
    verdict = "miss"
    print "VERSION " key ": \"" v "\" (truth " $6 ")"
  }
  if (tls) {
    if (subj[key] != "" && expiry[key] != "") tls_ok++; else print "TLS " key ": no certificate facts"
  }
  print "ROW " key "\t" s_ok "\t" p_ok "\t" verdict
}
END {
  printf "RATES %d %d %d %d %d %d %d %d\n", rows, svc_ok, prod_ok, shown, ver_ok, wrong, tls_rows, tls_ok
}
