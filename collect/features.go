package collect

// Feature indexes a flow's NetFlow-v2 features: the 43 columns of the
// public NF-* datasets (NF-UNSW-NB15-v2, NF-CSE-CIC-IDS2018-v2; Sarhan et
// al.) in their column order, under nProbe's names. The order is frozen:
// the CSV that --out writes and the verdict lines follow it.
type Feature int

// The features. FIELDS.md says which information elements fill each one.
const (
	IPV4_SRC_ADDR Feature = iota
	L4_SRC_PORT
	IPV4_DST_ADDR
	L4_DST_PORT
	PROTOCOL
	L7_PROTO
	IN_BYTES
	IN_PKTS
	OUT_BYTES
	OUT_PKTS
	TCP_FLAGS
	CLIENT_TCP_FLAGS
	SERVER_TCP_FLAGS
	FLOW_DURATION_MILLISECONDS
	DURATION_IN
	DURATION_OUT
	MIN_TTL
	MAX_TTL
	LONGEST_FLOW_PKT
	SHORTEST_FLOW_PKT
	MIN_IP_PKT_LEN
	MAX_IP_PKT_LEN
	SRC_TO_DST_SECOND_BYTES
	DST_TO_SRC_SECOND_BYTES
	RETRANSMITTED_IN_BYTES
	RETRANSMITTED_IN_PKTS
	RETRANSMITTED_OUT_BYTES
	RETRANSMITTED_OUT_PKTS
	SRC_TO_DST_AVG_THROUGHPUT
	DST_TO_SRC_AVG_THROUGHPUT
	NUM_PKTS_UP_TO_128_BYTES
	NUM_PKTS_128_TO_256_BYTES
	NUM_PKTS_256_TO_512_BYTES
	NUM_PKTS_512_TO_1024_BYTES
	NUM_PKTS_1024_TO_1514_BYTES
	TCP_WIN_MAX_IN
	TCP_WIN_MAX_OUT
	ICMP_TYPE
	ICMP_IPV4_TYPE
	DNS_QUERY_ID
	DNS_QUERY_TYPE
	DNS_TTL_ANSWER
	FTP_COMMAND_RET_CODE

	// NumFeatures is the number of features (43).
	NumFeatures = int(FTP_COMMAND_RET_CODE) + 1
)

var featureNames = [NumFeatures]string{
	"IPV4_SRC_ADDR", "L4_SRC_PORT", "IPV4_DST_ADDR", "L4_DST_PORT", "PROTOCOL", "L7_PROTO",
	"IN_BYTES", "IN_PKTS", "OUT_BYTES", "OUT_PKTS", "TCP_FLAGS", "CLIENT_TCP_FLAGS",
	"SERVER_TCP_FLAGS", "FLOW_DURATION_MILLISECONDS", "DURATION_IN", "DURATION_OUT",
	"MIN_TTL", "MAX_TTL", "LONGEST_FLOW_PKT", "SHORTEST_FLOW_PKT", "MIN_IP_PKT_LEN",
	"MAX_IP_PKT_LEN", "SRC_TO_DST_SECOND_BYTES", "DST_TO_SRC_SECOND_BYTES",
	"RETRANSMITTED_IN_BYTES", "RETRANSMITTED_IN_PKTS", "RETRANSMITTED_OUT_BYTES",
	"RETRANSMITTED_OUT_PKTS", "SRC_TO_DST_AVG_THROUGHPUT", "DST_TO_SRC_AVG_THROUGHPUT",
	"NUM_PKTS_UP_TO_128_BYTES", "NUM_PKTS_128_TO_256_BYTES", "NUM_PKTS_256_TO_512_BYTES",
	"NUM_PKTS_512_TO_1024_BYTES", "NUM_PKTS_1024_TO_1514_BYTES", "TCP_WIN_MAX_IN",
	"TCP_WIN_MAX_OUT", "ICMP_TYPE", "ICMP_IPV4_TYPE", "DNS_QUERY_ID", "DNS_QUERY_TYPE",
	"DNS_TTL_ANSWER", "FTP_COMMAND_RET_CODE",
}

// String is the feature's nProbe name.
func (f Feature) String() string {
	if f < 0 || int(f) >= NumFeatures {
		return "Feature(?)"
	}
	return featureNames[f]
}

// FeatureNames returns the 43 names in column order (a fresh slice).
func FeatureNames() []string { return append([]string(nil), featureNames[:]...) }

// FeatureByName returns the feature of an nProbe name; ok is false for a
// name that is not one of the 43.
func FeatureByName(name string) (f Feature, ok bool) {
	for i, n := range featureNames {
		if n == name {
			return Feature(i), true
		}
	}
	return 0, false
}

// IsAddress reports whether the feature is an address (text, not a number):
// IPV4_SRC_ADDR and IPV4_DST_ADDR. They identify a flow and should not be
// model features; the CSV carries them for the user to drop or keep.
func (f Feature) IsAddress() bool { return f == IPV4_SRC_ADDR || f == IPV4_DST_ADDR }
