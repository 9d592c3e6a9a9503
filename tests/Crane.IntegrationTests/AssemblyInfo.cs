// Tests inside a collection run one after another; the collections (one shared seed, one with a seed per test) run side by side.
[assembly: CollectionBehavior(DisableTestParallelization = false, MaxParallelThreads = 2)]
