package extract

// reorderer puts packets back in time order within a bounded window, as
// reordercap does for a whole file before CICFlowMeter reads it: a stable
// sort by timestamp, ties kept in capture order.
//
// Packets that arrive in order go to a FIFO (the common case, O(1));
// packets older than the newest one seen go to a min-heap by (time,
// number). The oldest of the two is released once it is more than window
// microseconds older than the newest packet seen, or when more than limit
// packets are held. A packet older than one already released is late: it
// is released at once, in its own time, and counted.
type reorderer struct {
	window int64
	limit  int
	fifo   []packet
	fhead  int
	heap   []packet
	newest int64
	any    bool
	last   int64 // time of the last packet released
	out    func(*packet) error
	late   *int64
	moved  *int64
	cur    packet // the packet being released (a field, so it does not escape per packet)
}

func less2(a, b *packet) bool {
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	return a.seq < b.seq
}

func (r *reorderer) push(p *packet) error {
	if !r.any || p.ts >= r.newest {
		if r.fhead == len(r.fifo) {
			r.fifo, r.fhead = r.fifo[:0], 0
		}
		r.fifo = append(r.fifo, *p)
		r.newest, r.any = p.ts, true
	} else {
		*r.moved++
		r.heapPush(p)
	}
	for r.held() > 0 {
		next := r.peek()
		if r.newest-next.ts <= r.window && r.held() <= r.limit {
			break
		}
		if err := r.release(); err != nil {
			return err
		}
	}
	return nil
}

// advance moves the newest time seen to now (a clock tick without a
// packet) and releases what is then older than the window.
func (r *reorderer) advance(now int64) error {
	if !r.any || now <= r.newest {
		return nil
	}
	r.newest = now
	for r.held() > 0 && r.newest-r.peek().ts > r.window {
		if err := r.release(); err != nil {
			return err
		}
	}
	return nil
}

// drain releases everything: the end of the input.
func (r *reorderer) drain() error {
	for r.held() > 0 {
		if err := r.release(); err != nil {
			return err
		}
	}
	return nil
}

func (r *reorderer) held() int { return len(r.fifo) - r.fhead + len(r.heap) }

func (r *reorderer) peek() *packet {
	if len(r.heap) == 0 {
		return &r.fifo[r.fhead]
	}
	if r.fhead == len(r.fifo) || less2(&r.heap[0], &r.fifo[r.fhead]) {
		return &r.heap[0]
	}
	return &r.fifo[r.fhead]
}

func (r *reorderer) release() error {
	p := &r.cur
	if len(r.heap) > 0 && (r.fhead == len(r.fifo) || less2(&r.heap[0], &r.fifo[r.fhead])) {
		*p = r.heapPop()
	} else {
		*p = r.fifo[r.fhead]
		r.fhead++
		if r.fhead > 1024 && r.fhead*2 > len(r.fifo) {
			n := copy(r.fifo, r.fifo[r.fhead:])
			r.fifo, r.fhead = r.fifo[:n], 0
		}
	}
	if p.ts < r.last {
		*r.late++
	} else {
		r.last = p.ts
	}
	return r.out(p)
}

func (r *reorderer) heapPush(p *packet) {
	h := append(r.heap, *p)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if !less2(&h[i], &h[parent]) {
			break
		}
		h[i], h[parent] = h[parent], h[i]
		i = parent
	}
	r.heap = h
}

func (r *reorderer) heapPop() packet {
	h := r.heap
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if rr := l + 1; rr < n && less2(&h[rr], &h[l]) {
			m = rr
		}
		if !less2(&h[m], &h[i]) {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	r.heap = h
	return top
}
