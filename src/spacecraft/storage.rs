//! Onboard storage: a total capacity shared by named partitions (for example
//! raw imagery, kept images, products, housekeeping), each with an optional quota. Amounts
//! are bytes as `f64`, because data flows at rates over fractions of seconds.

use serde::{Deserialize, Serialize};

use crate::error::{ensure_non_negative, ensure_positive, Error, Result};

/// Amounts below this many bytes are rounding crumbs, not data.
pub const BYTE_CRUMB: f64 = 1e-6;

/// A named partition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartitionConfig {
    /// Name, unique within the spacecraft.
    pub name: String,
    /// Largest amount the partition may hold, bytes; `None`: only the total capacity limits it.
    #[serde(default)]
    pub quota_bytes: Option<f64>,
}

/// Storage parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageConfig {
    /// Total capacity, bytes.
    pub capacity_bytes: f64,
    /// Partitions; default `raw` (captured tiles), `images` (tiles kept after onboard inference), `products`, `housekeeping`.
    #[serde(default = "default_partitions")]
    pub partitions: Vec<PartitionConfig>,
}

fn default_partitions() -> Vec<PartitionConfig> {
    ["raw", "images", "products", "housekeeping"]
        .into_iter()
        .map(|name| PartitionConfig {
            name: name.to_string(),
            quota_bytes: None,
        })
        .collect()
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            capacity_bytes: 64e9,
            partitions: default_partitions(),
        }
    }
}

impl StorageConfig {
    /// Checks capacity, quotas and that names are unique.
    pub fn validated(self) -> Result<Self> {
        ensure_positive("storage capacity_bytes", self.capacity_bytes)?;
        if self.partitions.is_empty() {
            return Err(Error::EmptyInput {
                what: "storage partitions",
            });
        }
        for (k, p) in self.partitions.iter().enumerate() {
            if let Some(quota) = p.quota_bytes {
                ensure_non_negative("partition quota_bytes", quota)?;
            }
            if self.partitions[..k].iter().any(|q| q.name == p.name) {
                return Err(Error::Duplicate {
                    kind: "partition",
                    name: p.name.clone(),
                    within: "a spacecraft's storage".into(),
                });
            }
        }
        Ok(self)
    }

    /// Index of a partition by name.
    pub fn index(&self, name: &str) -> Result<usize> {
        self.partitions
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| Error::UnknownName {
                kind: "partition",
                name: name.to_string(),
                expected: "one of the spacecraft's storage partitions",
            })
    }
}

/// Contents of the storage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Storage {
    /// Parameters.
    pub config: StorageConfig,
    /// Bytes held per partition.
    pub used_bytes: Vec<f64>,
    /// Bytes lost to corruption per partition (cumulative).
    pub corrupted_bytes: Vec<f64>,
}

impl Storage {
    /// Empty storage.
    pub fn new(config: StorageConfig) -> Self {
        let n = config.partitions.len();
        Self {
            config,
            used_bytes: vec![0.0; n],
            corrupted_bytes: vec![0.0; n],
        }
    }

    /// Total bytes held.
    pub fn total_used_bytes(&self) -> f64 {
        self.used_bytes.iter().sum()
    }

    /// Room left in a partition, bytes (quota and total capacity both apply).
    pub fn free_bytes(&self, partition: usize) -> f64 {
        let total_room = (self.config.capacity_bytes - self.total_used_bytes()).max(0.0);
        match self.config.partitions[partition].quota_bytes {
            Some(quota) => total_room.min((quota - self.used_bytes[partition]).max(0.0)),
            None => total_room,
        }
    }

    /// Stores up to `bytes`; returns what fitted.
    ///
    /// ```
    /// use orbitedge::spacecraft::storage::{Storage, StorageConfig};
    /// let mut s = Storage::new(StorageConfig { capacity_bytes: 100.0, ..Default::default() });
    /// assert_eq!(s.store(0, 70.0), 70.0);
    /// assert_eq!(s.store(1, 70.0), 30.0); // full
    /// ```
    pub fn store(&mut self, partition: usize, bytes: f64) -> f64 {
        let free = self.free_bytes(partition);
        let stored = if free - bytes < BYTE_CRUMB {
            free
        } else {
            bytes.max(0.0)
        };
        self.used_bytes[partition] += stored;
        stored
    }

    /// Removes up to `bytes`; returns what was there. Rounding crumbs (below
    /// [`BYTE_CRUMB`]) go with the rest, so "empty" means exactly zero.
    pub fn take(&mut self, partition: usize, bytes: f64) -> f64 {
        let used = self.used_bytes[partition];
        let taken = if used - bytes < BYTE_CRUMB {
            used
        } else {
            bytes.max(0.0)
        };
        self.used_bytes[partition] = used - taken;
        taken
    }

    /// Corrupts `bytes` in the partition picked by `uniform` ∈ [0, 1) weighted by
    /// content; returns (partition, bytes lost) or `None` when storage is empty.
    pub fn corrupt(&mut self, bytes: f64, uniform: f64) -> Option<(usize, f64)> {
        let total = self.total_used_bytes();
        if total <= 0.0 {
            return None;
        }
        let mut threshold = uniform * total;
        let mut partition = self.used_bytes.len() - 1;
        for (k, used) in self.used_bytes.iter().enumerate() {
            if threshold < *used {
                partition = k;
                break;
            }
            threshold -= used;
        }
        let lost = self.take(partition, bytes);
        self.corrupted_bytes[partition] += lost;
        Some((partition, lost))
    }
}
