// One crane-seed and one Chromium for the whole assembly: the tests run one after another on them.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
