package flowdata

import (
	"strings"
	"sync"
)

// canonicalNames are the column names of the re-extracted CIC-IDS2017
// (Engelen et al. 2021), the spelling every CICFlowMeter alias maps onto.
// The list is the header of cicids2017/train.csv.gz, in its order.
var canonicalNames = [...]string{
	"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp",
	"Flow Duration", "Total Fwd Packet", "Total Bwd packets", "Total Length of Fwd Packet",
	"Total Length of Bwd Packet", "Fwd Packet Length Max", "Fwd Packet Length Min",
	"Fwd Packet Length Mean", "Fwd Packet Length Std", "Bwd Packet Length Max",
	"Bwd Packet Length Min", "Bwd Packet Length Mean", "Bwd Packet Length Std", "Flow Bytes/s",
	"Flow Packets/s", "Flow IAT Mean", "Flow IAT Std", "Flow IAT Max", "Flow IAT Min",
	"Fwd IAT Total", "Fwd IAT Mean", "Fwd IAT Std", "Fwd IAT Max", "Fwd IAT Min", "Bwd IAT Total",
	"Bwd IAT Mean", "Bwd IAT Std", "Bwd IAT Max", "Bwd IAT Min", "Fwd PSH Flags", "Bwd PSH Flags",
	"Fwd URG Flags", "Bwd URG Flags", "Fwd RST Flags", "Bwd RST Flags", "Fwd Header Length",
	"Bwd Header Length", "Fwd Packets/s", "Bwd Packets/s", "Packet Length Min", "Packet Length Max",
	"Packet Length Mean", "Packet Length Std", "Packet Length Variance", "FIN Flag Count",
	"SYN Flag Count", "RST Flag Count", "PSH Flag Count", "ACK Flag Count", "URG Flag Count",
	"CWR Flag Count", "ECE Flag Count", "Down/Up Ratio", "Average Packet Size",
	"Fwd Segment Size Avg", "Bwd Segment Size Avg", "Fwd Bytes/Bulk Avg", "Fwd Packet/Bulk Avg",
	"Fwd Bulk Rate Avg", "Bwd Bytes/Bulk Avg", "Bwd Packet/Bulk Avg", "Bwd Bulk Rate Avg",
	"Subflow Fwd Packets", "Subflow Fwd Bytes", "Subflow Bwd Packets", "Subflow Bwd Bytes",
	"FWD Init Win Bytes", "Bwd Init Win Bytes", "Fwd Act Data Pkts", "Fwd Seg Size Min",
	"Active Mean", "Active Std", "Active Max", "Active Min", "Idle Mean", "Idle Std", "Idle Max",
	"Idle Min", "ICMP Code", "ICMP Type", "Total TCP Flow Time", "Label", "Attempted Category",
}

// cicAliases maps the other spellings of CICFlowMeter columns onto
// canonicalNames: the original CIC-IDS2017 CSVs (MachineLearningCVE,
// GeneratedLabelledFlows) and CSE-CIC-IDS2018. Keys are matched after key()
// normalisation (case, spaces, underscores and hyphens ignored), so only
// spellings that differ in words are listed. This is the one alias table.
var cicAliases = map[string]string{
	// identifiers
	"Unnamed: 0":     "id",
	"Source IP":      "Src IP",
	"Source Port":    "Src Port",
	"Destination IP": "Dst IP",
	// original CIC-IDS2017
	"Destination Port":            "Dst Port",
	"Total Fwd Packets":           "Total Fwd Packet",
	"Total Backward Packets":      "Total Bwd packets",
	"Total Length of Fwd Packets": "Total Length of Fwd Packet",
	"Total Length of Bwd Packets": "Total Length of Bwd Packet",
	"Min Packet Length":           "Packet Length Min",
	"Max Packet Length":           "Packet Length Max",
	"CWE Flag Count":              "CWR Flag Count",
	"Avg Fwd Segment Size":        "Fwd Segment Size Avg",
	"Avg Bwd Segment Size":        "Bwd Segment Size Avg",
	"Fwd Header Length.1":         "Fwd Header Length", // pandas' name for the duplicate
	"Fwd Avg Bytes/Bulk":          "Fwd Bytes/Bulk Avg",
	"Fwd Avg Packets/Bulk":        "Fwd Packet/Bulk Avg",
	"Fwd Avg Bulk Rate":           "Fwd Bulk Rate Avg",
	"Bwd Avg Bytes/Bulk":          "Bwd Bytes/Bulk Avg",
	"Bwd Avg Packets/Bulk":        "Bwd Packet/Bulk Avg",
	"Bwd Avg Bulk Rate":           "Bwd Bulk Rate Avg",
	"Init_Win_bytes_forward":      "FWD Init Win Bytes",
	"Init_Win_bytes_backward":     "Bwd Init Win Bytes",
	"act_data_pkt_fwd":            "Fwd Act Data Pkts",
	"min_seg_size_forward":        "Fwd Seg Size Min",
	// CSE-CIC-IDS2018
	"Tot Fwd Pkts":      "Total Fwd Packet",
	"Tot Bwd Pkts":      "Total Bwd packets",
	"TotLen Fwd Pkts":   "Total Length of Fwd Packet",
	"TotLen Bwd Pkts":   "Total Length of Bwd Packet",
	"Fwd Pkt Len Max":   "Fwd Packet Length Max",
	"Fwd Pkt Len Min":   "Fwd Packet Length Min",
	"Fwd Pkt Len Mean":  "Fwd Packet Length Mean",
	"Fwd Pkt Len Std":   "Fwd Packet Length Std",
	"Bwd Pkt Len Max":   "Bwd Packet Length Max",
	"Bwd Pkt Len Min":   "Bwd Packet Length Min",
	"Bwd Pkt Len Mean":  "Bwd Packet Length Mean",
	"Bwd Pkt Len Std":   "Bwd Packet Length Std",
	"Flow Byts/s":       "Flow Bytes/s",
	"Flow Pkts/s":       "Flow Packets/s",
	"Fwd IAT Tot":       "Fwd IAT Total",
	"Bwd IAT Tot":       "Bwd IAT Total",
	"Fwd Header Len":    "Fwd Header Length",
	"Bwd Header Len":    "Bwd Header Length",
	"Fwd Pkts/s":        "Fwd Packets/s",
	"Bwd Pkts/s":        "Bwd Packets/s",
	"Pkt Len Min":       "Packet Length Min",
	"Pkt Len Max":       "Packet Length Max",
	"Pkt Len Mean":      "Packet Length Mean",
	"Pkt Len Std":       "Packet Length Std",
	"Pkt Len Var":       "Packet Length Variance",
	"FIN Flag Cnt":      "FIN Flag Count",
	"SYN Flag Cnt":      "SYN Flag Count",
	"RST Flag Cnt":      "RST Flag Count",
	"PSH Flag Cnt":      "PSH Flag Count",
	"ACK Flag Cnt":      "ACK Flag Count",
	"URG Flag Cnt":      "URG Flag Count",
	"CWR Flag Cnt":      "CWR Flag Count",
	"CWE Flag Cnt":      "CWR Flag Count",
	"ECE Flag Cnt":      "ECE Flag Count",
	"Pkt Size Avg":      "Average Packet Size",
	"Fwd Seg Size Avg":  "Fwd Segment Size Avg",
	"Bwd Seg Size Avg":  "Bwd Segment Size Avg",
	"Fwd Byts/b Avg":    "Fwd Bytes/Bulk Avg",
	"Fwd Pkts/b Avg":    "Fwd Packet/Bulk Avg",
	"Fwd Blk Rate Avg":  "Fwd Bulk Rate Avg",
	"Bwd Byts/b Avg":    "Bwd Bytes/Bulk Avg",
	"Bwd Pkts/b Avg":    "Bwd Packet/Bulk Avg",
	"Bwd Blk Rate Avg":  "Bwd Bulk Rate Avg",
	"Subflow Fwd Pkts":  "Subflow Fwd Packets",
	"Subflow Fwd Byts":  "Subflow Fwd Bytes",
	"Subflow Bwd Pkts":  "Subflow Bwd Packets",
	"Subflow Bwd Byts":  "Subflow Bwd Bytes",
	"Init Fwd Win Byts": "FWD Init Win Bytes",
	"Init Bwd Win Byts": "Bwd Init Win Bytes",
}

// identifierNames are the canonical names of columns that identify a flow
// rather than describe it: never features in the cicflowmeter format.
var identifierNames = map[string]bool{
	"id": true, "Flow ID": true, "Src IP": true, "Src Port": true, "Dst IP": true, "Timestamp": true,
}

// labelLike are keys of column names that hold a label or a label-derived
// value. In header formats, every such column but the label is dropped.
var labelLike = map[string]bool{
	"label": true, "class": true, "attemptedcategory": true, "attackcat": true,
	"attacktype": true, "attackname": true, "category": true, "subcategory": true,
}

// canonKey maps key(name) of every canonical name and every alias onto the
// canonical name. Built on first use (not at package init, which every
// binary linking flowdata pays before main: issue 14).
var canonKey = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(canonicalNames)+len(cicAliases))
	for _, n := range canonicalNames {
		m[key(n)] = n
	}
	for a, n := range cicAliases {
		m[key(a)] = n
	}
	return m
})

// isCanonical holds the canonical names: columns a cicflowmeter file must
// hold numbers in. Other columns of such a file are read like csv columns.
// Built on first use, like canonKey.
var isCanonical = sync.OnceValue(func() map[string]bool {
	m := make(map[string]bool, len(canonicalNames))
	for _, n := range canonicalNames {
		m[n] = true
	}
	return m
})

// key normalises a column name for matching: lower case, without spaces,
// underscores and hyphens.
func key(name string) string {
	var b strings.Builder
	b.Grow(len(name))
	for _, r := range strings.ToLower(strings.TrimSpace(name)) {
		switch r {
		case ' ', '_', '-', '\t', '\ufeff':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Canonical returns the canonical CICFlowMeter spelling of a column name
// (the re-extracted CIC-IDS2017's), or the name with surrounding spaces
// trimmed when it is not a known CICFlowMeter column.
func Canonical(name string) string {
	if c, ok := canonKey()[key(name)]; ok {
		return c
	}
	return strings.TrimSpace(name)
}

// kddNames are the 41 KDD Cup 99 / NSL-KDD feature names, in column order
// (kddcup.names).
var kddNames = [41]string{
	"duration", "protocol_type", "service", "flag", "src_bytes", "dst_bytes", "land",
	"wrong_fragment", "urgent", "hot", "num_failed_logins", "logged_in", "num_compromised",
	"root_shell", "su_attempted", "num_root", "num_file_creations", "num_shells",
	"num_access_files", "num_outbound_cmds", "is_host_login", "is_guest_login", "count",
	"srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
	"same_srv_rate", "diff_srv_rate", "srv_diff_host_rate", "dst_host_count",
	"dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
	"dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
	"dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
}

// kddSymbolic are the KDD columns read as categorical.
var kddSymbolic = map[string]bool{"protocol_type": true, "service": true, "flag": true}

// KDDFeatureNames returns the 41 KDD feature names in column order.
func KDDFeatureNames() []string { return append([]string(nil), kddNames[:]...) }
