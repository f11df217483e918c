package proto

// bucket is a token bucket in octets: RFC 3208 §5.1.2's rate regulation,
// shaped like OpenPGM's: the bucket holds one millisecond of rate when
// that is at least a packet, else one second. Packets may overdraw it
// (the debt is paid before the next one), so a rate too low for a single
// packet still makes progress at that rate.
type bucket struct {
	rate   int64 // octets per second; 0: unlimited
	size   int64
	tokens int64 // may go negative
	last   Time
}

func newBucket(rate int64, maxTPDU int, now Time) bucket {
	b := bucket{rate: rate, last: now}
	if rate > 0 {
		b.size = rate
		if rate/1000 >= int64(maxTPDU) {
			b.size = rate / 1000
		}
		b.tokens = b.size
	}
	return b
}

func (b *bucket) refill(now Time) {
	if b.rate == 0 || now <= b.last {
		return
	}
	el := int64(now - b.last)
	// tokens += rate*el/1e9 without overflow for long idle periods
	if el >= 1e9 {
		b.tokens = b.size
	} else {
		b.tokens = min(b.size, b.tokens+b.rate*el/1e9)
	}
	b.last = now
}

// ready reports whether a packet may go now.
func (b *bucket) ready(now Time) bool {
	if b.rate == 0 {
		return true
	}
	b.refill(now)
	return b.tokens > 0
}

// take charges n octets.
func (b *bucket) take(n int) {
	if b.rate != 0 {
		b.tokens -= int64(n)
	}
}

// next returns when ready will next hold.
func (b *bucket) next(now Time) Time {
	if b.rate == 0 {
		return now
	}
	b.refill(now)
	if b.tokens > 0 {
		return now
	}
	need := 1 - b.tokens
	return now + Time((need*1e9+b.rate-1)/b.rate)
}
