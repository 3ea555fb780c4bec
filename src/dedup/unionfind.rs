//! Disjoint sets over dense `u32` ids: how verified duplicate pairs become clusters.
//!
//! The root of every set is its smallest id, so the clusters and their representatives
//! depend only on which pairs were merged, never on the order of the merges: the same input
//! gives the same clusters whatever the order in which threads or out-of-core passes
//! deliver the pairs. Paths are halved on every `find`, which with this linking rule keeps
//! the amortized cost logarithmic and in practice near constant.
//!
//! It is not a clustering policy: which member of a cluster is kept (first, longest, the wire
//! original) is decided by the caller, which knows what the ids stand for.

/// Disjoint sets of the ids `0..n`, rooted at their smallest member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionFind {
    parent: Vec<u32>,
}

impl UnionFind {
    /// `n` singleton sets `{0}, {1}, …, {n − 1}`. Ids are `u32`, so `n` is capped at
    /// `u32::MAX`.
    pub fn new(n: usize) -> UnionFind {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        UnionFind {
            parent: (0..n).collect(),
        }
    }

    /// Number of ids, singletons included.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// True when there are no ids at all.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }

    /// The root (smallest id) of the set holding `x`, halving the path on the way. An id
    /// outside `0..n` is its own singleton set.
    pub fn find(&mut self, x: u32) -> u32 {
        let mut x = x;
        if x as usize >= self.parent.len() {
            return x;
        }
        loop {
            let parent = self.parent[x as usize];
            if parent == x {
                return x;
            }
            let grandparent = self.parent[parent as usize];
            self.parent[x as usize] = grandparent;
            x = grandparent;
        }
    }

    /// Merges the sets of `a` and `b`; true when they were distinct. The larger root is
    /// linked under the smaller one, which is what keeps the root the smallest id. Ids outside
    /// `0..n` cannot be merged and give false.
    pub fn union(&mut self, a: u32, b: u32) -> bool {
        let n = self.parent.len();
        if a as usize >= n || b as usize >= n {
            return false;
        }
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        let (small, large) = if ra < rb { (ra, rb) } else { (rb, ra) };
        self.parent[large as usize] = small;
        true
    }

    /// Every set of two or more ids, each sorted ascending, the sets ordered by their
    /// smallest id. Singletons are left out: they are not clusters.
    pub fn components(&mut self) -> Vec<Vec<u32>> {
        let n = self.parent.len();
        // Two passes through a flat table instead of a map: count the members of each root,
        // give each root of a real cluster its output slot, then place ids in ascending order.
        let mut size = vec![0u32; n];
        for x in 0..n as u32 {
            let root = self.find(x);
            size[root as usize] += 1;
        }
        let mut slot = vec![u32::MAX; n];
        let mut out: Vec<Vec<u32>> = Vec::new();
        for root in 0..n {
            if size[root] >= 2 {
                slot[root] = out.len() as u32;
                out.push(Vec::with_capacity(size[root] as usize));
            }
        }
        for x in 0..n as u32 {
            // After the first pass every path has length at most one.
            let root = self.parent[x as usize] as usize;
            if let Some(members) = out.get_mut(slot[root] as usize) {
                members.push(x);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn basic_merges_and_roots() {
        let mut uf = UnionFind::new(6);
        assert!(uf.union(4, 2));
        assert!(uf.union(5, 4));
        assert!(!uf.union(2, 5));
        assert!(uf.union(3, 0));
        assert_eq!(uf.find(5), 2);
        assert_eq!(uf.find(3), 0);
        assert_eq!(uf.find(1), 1);
        assert_eq!(uf.components(), vec![vec![0, 3], vec![2, 4, 5]]);
    }

    #[test]
    fn out_of_range_ids_do_not_panic() {
        let mut uf = UnionFind::new(3);
        assert!(!uf.union(1, 99));
        assert_eq!(uf.find(99), 99);
        assert!(uf.components().is_empty());
        let mut empty = UnionFind::new(0);
        assert!(empty.is_empty());
        assert!(empty.components().is_empty());
    }

    /// Components by breadth-first search over the edge list: the reference.
    fn reference(n: usize, edges: &[(u32, u32)]) -> Vec<Vec<u32>> {
        let mut adj = vec![Vec::new(); n];
        for &(a, b) in edges {
            adj[a as usize].push(b);
            adj[b as usize].push(a);
        }
        let mut seen = vec![false; n];
        let mut out = Vec::new();
        for start in 0..n {
            if seen[start] {
                continue;
            }
            seen[start] = true;
            let mut comp = vec![start as u32];
            let mut i = 0;
            while i < comp.len() {
                for &y in &adj[comp[i] as usize] {
                    if !seen[y as usize] {
                        seen[y as usize] = true;
                        comp.push(y);
                    }
                }
                i += 1;
            }
            if comp.len() >= 2 {
                comp.sort_unstable();
                out.push(comp);
            }
        }
        out
    }

    fn edges_strategy() -> impl Strategy<Value = (usize, Vec<(u32, u32)>)> {
        (1..60usize).prop_flat_map(|n| {
            let edge = (0..n as u32, 0..n as u32);
            (Just(n), prop::collection::vec(edge, 0..80))
        })
    }

    proptest! {
        #[test]
        fn components_independent_of_union_order(
            (n, edges) in edges_strategy().prop_flat_map(|(n, e)| {
                (Just(n), Just(e.clone()), Just(e).prop_shuffle())
            }).prop_map(|(n, e, shuffled)| (n, (e, shuffled))),
            flip in any::<bool>(),
        ) {
            let (edges, shuffled) = edges;
            let mut first = UnionFind::new(n);
            for &(a, b) in &edges {
                first.union(a, b);
            }
            let mut second = UnionFind::new(n);
            for &(a, b) in &shuffled {
                if flip { second.union(b, a) } else { second.union(a, b) };
            }
            let expected = reference(n, &edges);
            prop_assert_eq!(first.components(), expected.clone());
            prop_assert_eq!(second.components(), expected.clone());
            for comp in &expected {
                for &x in comp {
                    prop_assert_eq!(first.find(x), comp[0]);
                    prop_assert_eq!(second.find(x), comp[0]);
                }
            }
        }
    }
}
