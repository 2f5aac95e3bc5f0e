"""What resnetc keeps on disk: atomic, no-clobber writes, signals held off while files move,
and the caches of compiled templates and compile results."""
