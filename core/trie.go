package core

// trie is a prefix tree of subscriptions with a reference count per
// topic. Matching walks the message's first frame once.
type trie struct {
	count    int
	children map[byte]*trie
	size     int // distinct topics below and here (root only)
}

// add counts one more subscription to topic; it reports whether the
// topic is new.
func (t *trie) add(topic string) bool {
	n := t
	for i := 0; i < len(topic); i++ {
		c := n.children[topic[i]]
		if c == nil {
			if n.children == nil {
				n.children = map[byte]*trie{}
			}
			c = &trie{}
			n.children[topic[i]] = c
		}
		n = c
	}
	n.count++
	if n.count == 1 {
		t.size++
		return true
	}
	return false
}

// rm removes one subscription to topic; it reports whether that was the
// last one. Unknown topics report false.
func (t *trie) rm(topic string) bool {
	path := make([]*trie, 0, len(topic)+1)
	n := t
	path = append(path, n)
	for i := 0; i < len(topic); i++ {
		n = n.children[topic[i]]
		if n == nil {
			return false
		}
		path = append(path, n)
	}
	if n.count == 0 {
		return false
	}
	n.count--
	if n.count > 0 {
		return false
	}
	t.size--
	// prune empty branches
	for i := len(path) - 1; i > 0; i-- {
		if path[i].count == 0 && len(path[i].children) == 0 {
			delete(path[i-1].children, topic[i-1])
		} else {
			break
		}
	}
	return true
}

// match reports whether some subscription is a prefix of data.
func (t *trie) match(data []byte) bool {
	n := t
	if n.count > 0 {
		return true
	}
	for _, b := range data {
		n = n.children[b]
		if n == nil {
			return false
		}
		if n.count > 0 {
			return true
		}
	}
	return false
}

// topics calls f for every topic held.
func (t *trie) topics(f func(topic string)) {
	var walk func(n *trie, prefix []byte)
	walk = func(n *trie, prefix []byte) {
		if n.count > 0 {
			f(string(prefix))
		}
		for b, c := range n.children {
			walk(c, append(prefix, b))
		}
	}
	walk(t, nil)
}
