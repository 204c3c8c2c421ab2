package extract

// Feature is one of the 81 computed columns of a flow record, in the order
// of the CIC-IDS2017 header (after Protocol and Timestamp). FEATURES.md
// defines each.
type Feature int

// The features, named after their columns.
const (
	FlowDuration           Feature = iota // Flow Duration
	TotalFwdPacket                        // Total Fwd Packet
	TotalBwdPackets                       // Total Bwd packets
	TotalLengthOfFwdPacket                // Total Length of Fwd Packet
	TotalLengthOfBwdPacket                // Total Length of Bwd Packet
	FwdPacketLengthMax                    // Fwd Packet Length Max
	FwdPacketLengthMin                    // Fwd Packet Length Min
	FwdPacketLengthMean                   // Fwd Packet Length Mean
	FwdPacketLengthStd                    // Fwd Packet Length Std
	BwdPacketLengthMax                    // Bwd Packet Length Max
	BwdPacketLengthMin                    // Bwd Packet Length Min
	BwdPacketLengthMean                   // Bwd Packet Length Mean
	BwdPacketLengthStd                    // Bwd Packet Length Std
	FlowBytesPerSec                       // Flow Bytes/s
	FlowPacketsPerSec                     // Flow Packets/s
	FlowIATMean                           // Flow IAT Mean
	FlowIATStd                            // Flow IAT Std
	FlowIATMax                            // Flow IAT Max
	FlowIATMin                            // Flow IAT Min
	FwdIATTotal                           // Fwd IAT Total
	FwdIATMean                            // Fwd IAT Mean
	FwdIATStd                             // Fwd IAT Std
	FwdIATMax                             // Fwd IAT Max
	FwdIATMin                             // Fwd IAT Min
	BwdIATTotal                           // Bwd IAT Total
	BwdIATMean                            // Bwd IAT Mean
	BwdIATStd                             // Bwd IAT Std
	BwdIATMax                             // Bwd IAT Max
	BwdIATMin                             // Bwd IAT Min
	FwdPSHFlags                           // Fwd PSH Flags
	BwdPSHFlags                           // Bwd PSH Flags
	FwdURGFlags                           // Fwd URG Flags
	BwdURGFlags                           // Bwd URG Flags
	FwdRSTFlags                           // Fwd RST Flags
	BwdRSTFlags                           // Bwd RST Flags
	FwdHeaderLength                       // Fwd Header Length
	BwdHeaderLength                       // Bwd Header Length
	FwdPacketsPerSec                      // Fwd Packets/s
	BwdPacketsPerSec                      // Bwd Packets/s
	PacketLengthMin                       // Packet Length Min
	PacketLengthMax                       // Packet Length Max
	PacketLengthMean                      // Packet Length Mean
	PacketLengthStd                       // Packet Length Std
	PacketLengthVariance                  // Packet Length Variance
	FINFlagCount                          // FIN Flag Count
	SYNFlagCount                          // SYN Flag Count
	RSTFlagCount                          // RST Flag Count
	PSHFlagCount                          // PSH Flag Count
	ACKFlagCount                          // ACK Flag Count
	URGFlagCount                          // URG Flag Count
	CWRFlagCount                          // CWR Flag Count
	ECEFlagCount                          // ECE Flag Count
	DownUpRatio                           // Down/Up Ratio
	AveragePacketSize                     // Average Packet Size
	FwdSegmentSizeAvg                     // Fwd Segment Size Avg
	BwdSegmentSizeAvg                     // Bwd Segment Size Avg
	FwdBytesPerBulkAvg                    // Fwd Bytes/Bulk Avg
	FwdPacketPerBulkAvg                   // Fwd Packet/Bulk Avg
	FwdBulkRateAvg                        // Fwd Bulk Rate Avg
	BwdBytesPerBulkAvg                    // Bwd Bytes/Bulk Avg
	BwdPacketPerBulkAvg                   // Bwd Packet/Bulk Avg
	BwdBulkRateAvg                        // Bwd Bulk Rate Avg
	SubflowFwdPackets                     // Subflow Fwd Packets
	SubflowFwdBytes                       // Subflow Fwd Bytes
	SubflowBwdPackets                     // Subflow Bwd Packets
	SubflowBwdBytes                       // Subflow Bwd Bytes
	FWDInitWinBytes                       // FWD Init Win Bytes
	BwdInitWinBytes                       // Bwd Init Win Bytes
	FwdActDataPkts                        // Fwd Act Data Pkts
	FwdSegSizeMin                         // Fwd Seg Size Min
	ActiveMean                            // Active Mean
	ActiveStd                             // Active Std
	ActiveMax                             // Active Max
	ActiveMin                             // Active Min
	IdleMean                              // Idle Mean
	IdleStd                               // Idle Std
	IdleMax                               // Idle Max
	IdleMin                               // Idle Min
	ICMPCode                              // ICMP Code
	ICMPType                              // ICMP Type
	TotalTCPFlowTime                      // Total TCP Flow Time

	numFeatures = iota
)

var featureNames = [numFeatures]string{
	"Flow Duration",
	"Total Fwd Packet",
	"Total Bwd packets",
	"Total Length of Fwd Packet",
	"Total Length of Bwd Packet",
	"Fwd Packet Length Max",
	"Fwd Packet Length Min",
	"Fwd Packet Length Mean",
	"Fwd Packet Length Std",
	"Bwd Packet Length Max",
	"Bwd Packet Length Min",
	"Bwd Packet Length Mean",
	"Bwd Packet Length Std",
	"Flow Bytes/s",
	"Flow Packets/s",
	"Flow IAT Mean",
	"Flow IAT Std",
	"Flow IAT Max",
	"Flow IAT Min",
	"Fwd IAT Total",
	"Fwd IAT Mean",
	"Fwd IAT Std",
	"Fwd IAT Max",
	"Fwd IAT Min",
	"Bwd IAT Total",
	"Bwd IAT Mean",
	"Bwd IAT Std",
	"Bwd IAT Max",
	"Bwd IAT Min",
	"Fwd PSH Flags",
	"Bwd PSH Flags",
	"Fwd URG Flags",
	"Bwd URG Flags",
	"Fwd RST Flags",
	"Bwd RST Flags",
	"Fwd Header Length",
	"Bwd Header Length",
	"Fwd Packets/s",
	"Bwd Packets/s",
	"Packet Length Min",
	"Packet Length Max",
	"Packet Length Mean",
	"Packet Length Std",
	"Packet Length Variance",
	"FIN Flag Count",
	"SYN Flag Count",
	"RST Flag Count",
	"PSH Flag Count",
	"ACK Flag Count",
	"URG Flag Count",
	"CWR Flag Count",
	"ECE Flag Count",
	"Down/Up Ratio",
	"Average Packet Size",
	"Fwd Segment Size Avg",
	"Bwd Segment Size Avg",
	"Fwd Bytes/Bulk Avg",
	"Fwd Packet/Bulk Avg",
	"Fwd Bulk Rate Avg",
	"Bwd Bytes/Bulk Avg",
	"Bwd Packet/Bulk Avg",
	"Bwd Bulk Rate Avg",
	"Subflow Fwd Packets",
	"Subflow Fwd Bytes",
	"Subflow Bwd Packets",
	"Subflow Bwd Bytes",
	"FWD Init Win Bytes",
	"Bwd Init Win Bytes",
	"Fwd Act Data Pkts",
	"Fwd Seg Size Min",
	"Active Mean",
	"Active Std",
	"Active Max",
	"Active Min",
	"Idle Mean",
	"Idle Std",
	"Idle Max",
	"Idle Min",
	"ICMP Code",
	"ICMP Type",
	"Total TCP Flow Time",
}
