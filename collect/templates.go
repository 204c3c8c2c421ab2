package collect

import (
	"fmt"
	"net/netip"

	"github.com/netsampler/goflow2/v2/decoders/netflow"
)

// Limits bound what the decoder keeps per exporter, so that a template
// flood (or many exporters) costs bounded memory.
type Limits struct {
	// MaxExporters is the number of exporters (source address and port)
	// whose templates are kept; a new exporter beyond it evicts the one
	// heard from least recently, templates and all.
	MaxExporters int
	// MaxTemplates is the number of templates (data and options, every
	// observation domain) one exporter may hold; a new template beyond it
	// is refused with ErrTemplateLimit (a template replacing one of the
	// same ID is always taken).
	MaxTemplates int
	// MaxFields bounds the fields of all of one exporter's templates
	// together (a field costs 12 bytes).
	MaxFields int
}

// DefaultLimits: 256 exporters of at most 1,024 templates and 16,384
// template fields each: at most about 50 MB of templates in all.
func DefaultLimits() Limits {
	return Limits{MaxExporters: 256, MaxTemplates: 1024, MaxFields: 16384}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxExporters <= 0 {
		l.MaxExporters = d.MaxExporters
	}
	if l.MaxTemplates <= 0 {
		l.MaxTemplates = d.MaxTemplates
	}
	if l.MaxFields <= 0 {
		l.MaxFields = d.MaxFields
	}
	return l
}

// exporter is what the decoder keeps of one exporter: its templates by
// version, observation domain and ID, and the IPFIX system init times its
// options records announced (for flowStartSysUpTime). It implements
// goflow2's netflow.NetFlowTemplateSystem.
type exporter struct {
	addr      netip.AddrPort
	lim       *Limits
	templates map[uint64]any
	nfields   int
	sysInit   map[uint32]int64 // observation domain -> ms since the epoch; at most MaxTemplates (setInit)
	seen      uint64           // decoder clock at the last message
	held      *int             // the decoder's count of templates
}

var _ netflow.NetFlowTemplateSystem = (*exporter)(nil)

func newExporter(addr netip.AddrPort, lim *Limits, held *int) *exporter {
	return &exporter{addr: addr, lim: lim, held: held, templates: map[uint64]any{}, sysInit: map[uint32]int64{}}
}

func templateKey(version uint16, domain uint32, id uint16) uint64 {
	return uint64(version)<<48 | uint64(domain)<<16 | uint64(id)
}

func templateFields(t any) int {
	switch t := t.(type) {
	case netflow.TemplateRecord:
		return len(t.Fields)
	case netflow.NFv9OptionsTemplateRecord:
		return len(t.Scopes) + len(t.Options)
	case netflow.IPFIXOptionsTemplateRecord:
		return len(t.Scopes) + len(t.Options)
	}
	return 0
}

// AddTemplate stores a template goflow2 decoded, within the limits. An
// IPFIX template record without fields withdraws the template (ID 2: all
// of the domain's templates). The message was validated before goflow2
// saw it, so the structure is sound here.
func (e *exporter) AddTemplate(version uint16, domain uint32, id uint16, t any) error {
	if tr, ok := t.(netflow.TemplateRecord); ok && len(tr.Fields) == 0 {
		if version == 10 && id == 2 {
			for k, old := range e.templates {
				if k>>16 == templateKey(version, domain, 0)>>16 {
					e.nfields -= templateFields(old)
					delete(e.templates, k)
					*e.held--
				}
			}
			return nil
		}
		e.RemoveTemplate(version, domain, id)
		return nil
	}
	k := templateKey(version, domain, id)
	n := templateFields(t)
	old, replacing := e.templates[k]
	grow := n - templateFields(old)
	if !replacing && len(e.templates) >= e.lim.MaxTemplates {
		return &Error{Exporter: e.addr, Version: version, Domain: domain, Template: id, Err: ErrTemplateLimit,
			Detail: fmt.Sprintf("the exporter already holds %d templates", len(e.templates))}
	}
	if e.nfields+grow > e.lim.MaxFields {
		return &Error{Exporter: e.addr, Version: version, Domain: domain, Template: id, Err: ErrTemplateLimit,
			Detail: fmt.Sprintf("%d more fields over the exporter's %d of at most %d", n, e.nfields, e.lim.MaxFields)}
	}
	e.templates[k] = t
	e.nfields += grow
	if !replacing {
		*e.held++
	}
	return nil
}

// setInit remembers a domain's systemInitTime. A flood that sends, for
// ever new domains, an options template, its init time and the template's
// withdrawal would grow the map without end, so when a new domain would
// take it past MaxTemplates, the domains that hold no template any more
// are forgotten. An init time comes in an options record, so its domain
// holds a template at that moment: the domains left, this one's included,
// are at most the exporter's templates, at most MaxTemplates.
func (e *exporter) setInit(domain uint32, ms int64) {
	if _, ok := e.sysInit[domain]; !ok && len(e.sysInit) >= e.lim.MaxTemplates {
		held := make(map[uint32]bool, len(e.templates))
		for k := range e.templates {
			held[uint32(k>>16)] = true
		}
		for dom := range e.sysInit {
			if !held[dom] {
				delete(e.sysInit, dom)
			}
		}
	}
	e.sysInit[domain] = ms
}

func (e *exporter) GetTemplate(version uint16, domain uint32, id uint16) (any, error) {
	if t, ok := e.templates[templateKey(version, domain, id)]; ok {
		return t, nil
	}
	return nil, netflow.ErrorTemplateNotFound
}

func (e *exporter) RemoveTemplate(version uint16, domain uint32, id uint16) (any, error) {
	k := templateKey(version, domain, id)
	t, ok := e.templates[k]
	if !ok {
		return nil, netflow.ErrorTemplateNotFound
	}
	e.nfields -= templateFields(t)
	delete(e.templates, k)
	*e.held--
	return t, nil
}

func (e *exporter) GetTemplates() netflow.FlowBaseTemplateSet {
	m := make(netflow.FlowBaseTemplateSet, len(e.templates))
	for k, t := range e.templates {
		m[k] = t
	}
	return m
}
