package collect

// Information elements the mapping reads. Standard ones are IANA IPFIX
// element IDs, which NetFlow v9 shares up to 127 (RFC 3954 field types);
// nProbe's own are exported as NetFlow v9 field type 57472+N and as IPFIX
// element N of private enterprise 35632 (ntop); RFC 5103 reverse elements
// are the standard element ID under private enterprise 29305.
const (
	penNtop    = 35632
	penReverse = 29305
	ntopV9Base = 57472
)

// Standard elements.
const (
	ieOctetDeltaCount          = 1
	iePacketDeltaCount         = 2
	ieProtocolIdentifier       = 4
	ieTCPControlBits           = 6
	ieSourceTransportPort      = 7
	ieSourceIPv4Address        = 8
	ieDestinationTransportPort = 11
	ieDestinationIPv4Address   = 12
	ieFlowEndSysUpTime         = 21
	ieFlowStartSysUpTime       = 22
	iePostOctetDeltaCount      = 23 // nProbe's OUT_BYTES
	iePostPacketDeltaCount     = 24 // nProbe's OUT_PKTS
	ieMinimumIPTotalLength     = 25
	ieMaximumIPTotalLength     = 26
	ieSourceIPv6Address        = 27
	ieDestinationIPv6Address   = 28
	ieICMPTypeCodeIPv4         = 32
	ieMinimumTTL               = 52
	ieMaximumTTL               = 53
	ieOctetTotalCount          = 85
	iePacketTotalCount         = 86
	ieICMPTypeCodeIPv6         = 139
	ieFlowStartSeconds         = 150
	ieFlowEndSeconds           = 151
	ieFlowStartMilliseconds    = 152
	ieFlowEndMilliseconds      = 153
	ieFlowStartMicroseconds    = 154
	ieFlowEndMicroseconds      = 155
	ieFlowStartNanoseconds     = 156
	ieFlowEndNanoseconds       = 157
	ieFlowStartDeltaMicros     = 158
	ieFlowEndDeltaMicros       = 159
	ieSystemInitTimeMillis     = 160
	ieFlowDurationMilliseconds = 161
	ieFlowDurationMicroseconds = 162
	ieICMPTypeIPv4             = 176
	ieICMPTypeIPv6             = 178
)

// nProbe's elements (IPFIX element numbers under PEN 35632; add ntopV9Base
// for the NetFlow v9 field type).
const (
	ntopClientTCPFlags       = 78
	ntopServerTCPFlags       = 79
	ntopSrcToDstAvgThpt      = 84
	ntopDstToSrcAvgThpt      = 87
	ntopPktsUpTo128          = 88
	ntopPkts128To256         = 89
	ntopPkts256To512         = 90
	ntopPkts512To1024        = 91
	ntopPkts1024To1514       = 92
	ntopLongestFlowPkt       = 107
	ntopShortestFlowPkt      = 108
	ntopRetransmittedInPkts  = 109
	ntopRetransmittedOutPkts = 110
	ntopL7Proto              = 118
	ntopRetransmittedInBytes = 127
	ntopRetransmittedOutByte = 128
	ntopDNSQueryID           = 206
	ntopDNSQueryType         = 207
	ntopDNSTTLAnswer         = 352
	ntopFTPCommandRetCode    = 359
	ntopDurationIn           = 391
	ntopDurationOut          = 392
	ntopTCPWinMaxIn          = 416
	ntopTCPWinMaxOut         = 420
	ntopSrcToDstSecondBytes  = 472
	ntopDstToSrcSecondBytes  = 473
)

// ntopFeature maps nProbe's elements that are features as they are.
var ntopFeature = map[uint16]Feature{
	ntopClientTCPFlags:       CLIENT_TCP_FLAGS,
	ntopServerTCPFlags:       SERVER_TCP_FLAGS,
	ntopSrcToDstAvgThpt:      SRC_TO_DST_AVG_THROUGHPUT,
	ntopDstToSrcAvgThpt:      DST_TO_SRC_AVG_THROUGHPUT,
	ntopPktsUpTo128:          NUM_PKTS_UP_TO_128_BYTES,
	ntopPkts128To256:         NUM_PKTS_128_TO_256_BYTES,
	ntopPkts256To512:         NUM_PKTS_256_TO_512_BYTES,
	ntopPkts512To1024:        NUM_PKTS_512_TO_1024_BYTES,
	ntopPkts1024To1514:       NUM_PKTS_1024_TO_1514_BYTES,
	ntopLongestFlowPkt:       LONGEST_FLOW_PKT,
	ntopShortestFlowPkt:      SHORTEST_FLOW_PKT,
	ntopRetransmittedInPkts:  RETRANSMITTED_IN_PKTS,
	ntopRetransmittedOutPkts: RETRANSMITTED_OUT_PKTS,
	ntopL7Proto:              L7_PROTO,
	ntopRetransmittedInBytes: RETRANSMITTED_IN_BYTES,
	ntopRetransmittedOutByte: RETRANSMITTED_OUT_BYTES,
	ntopDNSQueryID:           DNS_QUERY_ID,
	ntopDNSQueryType:         DNS_QUERY_TYPE,
	ntopDNSTTLAnswer:         DNS_TTL_ANSWER,
	ntopFTPCommandRetCode:    FTP_COMMAND_RET_CODE,
	ntopDurationIn:           DURATION_IN,
	ntopDurationOut:          DURATION_OUT,
	ntopTCPWinMaxIn:          TCP_WIN_MAX_IN,
	ntopTCPWinMaxOut:         TCP_WIN_MAX_OUT,
	ntopSrcToDstSecondBytes:  SRC_TO_DST_SECOND_BYTES,
	ntopDstToSrcSecondBytes:  DST_TO_SRC_SECOND_BYTES,
}
