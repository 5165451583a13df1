//! Linux memory readings from `/proc` and the cgroup file systems.
