//! A small open-addressing map from short byte strings (1 to 24 bytes, most words) to a
//! `Copy` value, for per-thread memo tables of word → what the rules know of it.
//!
//! Keys are stored inline as three zero-padded little-endian `u64`s and their length, so a
//! lookup is one hash of at most three words and a compare of four integers: no pointer to
//! follow, no `memcmp` call, no allocation per key. Longer keys are the caller's to handle.

/// The most bytes a key may have.
pub(crate) const MAX_KEY: usize = 24;

const K: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// A key packed for storage and comparison.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Key {
    words: [u64; 3],
    len: u32,
}

impl Key {
    /// Packs `bytes` (1 to [`MAX_KEY`] bytes; `None` otherwise).
    #[inline]
    pub(crate) fn new(bytes: &[u8]) -> Option<Self> {
        if bytes.is_empty() || bytes.len() > MAX_KEY {
            return None;
        }
        let mut words = [0_u64; 3];
        for (i, chunk) in bytes.chunks(8).enumerate() {
            let mut b = [0_u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            words[i] = u64::from_le_bytes(b);
        }
        Some(Self {
            words,
            len: bytes.len() as u32,
        })
    }

    #[inline]
    fn hash(&self) -> u64 {
        let mut h = u64::from(self.len).wrapping_mul(K);
        for w in self.words {
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        h
    }
}

/// A key's words, its length and its value side by side: 32 bytes for a `u32` value, so a
/// slot never straddles two cache lines (a [`Key`] and a value would take 40).
#[derive(Clone, Copy, Default)]
struct Slot<V> {
    words: [u64; 3],
    len: u32,
    value: V,
}

impl<V> Slot<V> {
    #[inline]
    fn holds(&self, key: &Key) -> bool {
        self.len == key.len && self.words == key.words
    }

    fn key(&self) -> Key {
        Key {
            words: self.words,
            len: self.len,
        }
    }
}

/// The map (see the module's documentation).
pub(crate) struct ShortMap<V: Copy + Default> {
    /// An empty slot has length 0.
    slots: Vec<Slot<V>>,
    len: usize,
    /// 64 minus log2 of the number of slots.
    shift: u32,
}

impl<V: Copy + Default> Default for ShortMap<V> {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            len: 0,
            shift: 64,
        }
    }
}

impl<V: Copy + Default> ShortMap<V> {
    /// How many keys it holds.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Forgets every key (keeps the memory).
    pub(crate) fn clear(&mut self) {
        self.slots.iter_mut().for_each(|s| *s = Slot::default());
        self.len = 0;
    }

    /// The value of a key.
    #[inline]
    pub(crate) fn get(&self, key: &Key) -> Option<V> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut i = (key.hash() >> self.shift) as usize;
        loop {
            let slot = &self.slots[i];
            if slot.holds(key) {
                return Some(slot.value);
            }
            if slot.len == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// Sets the value of a key that is not in the map.
    pub(crate) fn insert_new(&mut self, key: Key, value: V) {
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        self.place(Slot {
            words: key.words,
            len: key.len,
            value,
        });
        self.len += 1;
    }

    fn place(&mut self, slot: Slot<V>) {
        let mask = self.slots.len() - 1;
        let mut i = (slot.key().hash() >> self.shift) as usize;
        while self.slots[i].len != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(1024);
        let old = std::mem::replace(&mut self.slots, vec![Slot::default(); size]);
        self.shift = 64 - size.trailing_zeros();
        for slot in old.into_iter().filter(|s| s.len != 0) {
            self.place(slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_length_are_kept_apart() {
        let mut map = ShortMap::default();
        let words: Vec<String> = (0..5000)
            .map(|i| format!("w{i}{}", "x".repeat(i % 20)))
            .collect();
        for (i, w) in words.iter().enumerate() {
            let key = Key::new(w.as_bytes()).unwrap();
            assert_eq!(map.get(&key), None);
            map.insert_new(key, i);
        }
        assert_eq!(map.len(), words.len());
        for (i, w) in words.iter().enumerate() {
            assert_eq!(map.get(&Key::new(w.as_bytes()).unwrap()), Some(i));
        }
        // Zero padding does not confuse "a" with "a\0".
        assert!(map.get(&Key::new(b"w1\0").unwrap()).is_none());
        assert!(Key::new(b"").is_none() && Key::new(&[b'a'; 25]).is_none());
        map.clear();
        assert_eq!(map.get(&Key::new(b"w1").unwrap()), None);
    }
}
