//! The onboard job queue and its policies.
//!
//! Jobs are keyed by (rank, id): under `fifo` and `energy_aware` the rank is 0,
//! so the oldest job (lowest id) comes first; under `priority` the rank orders
//! higher priorities first, oldest first within a priority. A preempted job
//! that is retried keeps its key, hence its place. Picking is O(log n).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Which queued job runs next, and when the device may work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// Oldest first, whenever the device may run.
    #[default]
    Fifo,
    /// Highest priority first (oldest first within a priority).
    Priority,
    /// Oldest first, but outside full sunlight only while the state of charge is
    /// at least the computer's `energy_aware_min_soc`: work is deferred to sunlight.
    EnergyAware,
}

/// What happens to a job stopped by a restart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartPolicy {
    /// Put it back in its place in the queue (up to the computer's `max_attempts`).
    #[default]
    Retry,
    /// Drop it (its tile is deleted, counted as dropped by a fault).
    Drop,
}

/// One inference job: a captured tile waiting for the detector.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Sequence number of the tile on this spacecraft (0, 1, …).
    pub id: u64,
    /// Capture time, s since the simulation start.
    pub captured_s: f64,
    /// Priority of the target it shows.
    pub priority: u32,
    /// Bytes of the raw tile.
    pub bytes: f64,
    /// True cloud fraction of the tile (the scene's ground truth).
    pub cloud_cover: f64,
    /// Starts so far (a retried job has started before).
    pub attempts: u32,
}

/// Queued jobs in policy order.
///
/// Serialised as a list of `[rank, id, job]` in policy order: a map keyed by
/// pairs is no JSON (the states of a run with a backlog could not be written
/// as JSON). Checkpoints written as a map still read.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(into = "QueueEntries", from = "StoredQueue")]
pub struct JobQueue {
    jobs: BTreeMap<(u32, u64), Job>,
}

/// The queue as written: its entries in order.
#[derive(Serialize)]
struct QueueEntries {
    jobs: Vec<(u32, u64, Job)>,
}

/// The queue as read: entries, or the map older checkpoints hold.
#[derive(Deserialize)]
#[serde(untagged)]
enum StoredJobs {
    Entries(Vec<(u32, u64, Job)>),
    Map(BTreeMap<(u32, u64), Job>),
}

#[derive(Deserialize)]
struct StoredQueue {
    jobs: StoredJobs,
}

impl From<JobQueue> for QueueEntries {
    fn from(queue: JobQueue) -> Self {
        Self {
            jobs: queue
                .jobs
                .into_iter()
                .map(|((rank, id), job)| (rank, id, job))
                .collect(),
        }
    }
}

impl From<StoredQueue> for JobQueue {
    fn from(stored: StoredQueue) -> Self {
        let jobs = match stored.jobs {
            StoredJobs::Entries(entries) => (entries.into_iter())
                .map(|(rank, id, job)| ((rank, id), job))
                .collect(),
            StoredJobs::Map(map) => map,
        };
        Self { jobs }
    }
}

impl JobQueue {
    fn key(policy: Policy, job: &Job) -> (u32, u64) {
        match policy {
            Policy::Priority => (u32::MAX - job.priority, job.id),
            Policy::Fifo | Policy::EnergyAware => (0, job.id),
        }
    }

    /// Adds a job.
    ///
    /// ```
    /// use orbitedge::compute::scheduler::{Job, JobQueue, Policy};
    /// let job = |id, priority| Job { id, captured_s: 0.0, priority, bytes: 1.0, cloud_cover: 0.5, attempts: 0 };
    /// let mut queue = JobQueue::default();
    /// queue.push(Policy::Priority, job(0, 1));
    /// queue.push(Policy::Priority, job(1, 5));
    /// queue.push(Policy::Priority, job(2, 5));
    /// let order: Vec<u64> = std::iter::from_fn(|| queue.pop()).map(|j| j.id).collect();
    /// assert_eq!(order, vec![1, 2, 0]);
    /// ```
    pub fn push(&mut self, policy: Policy, job: Job) {
        self.jobs.insert(Self::key(policy, &job), job);
    }

    /// Takes the next job.
    pub fn pop(&mut self) -> Option<Job> {
        self.jobs.pop_first().map(|(_, job)| job)
    }

    /// Jobs waiting.
    pub fn len(&self) -> usize {
        self.jobs.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.jobs.is_empty()
    }

    /// Bytes of the waiting tiles.
    pub fn bytes(&self) -> f64 {
        self.jobs.values().map(|j| j.bytes).sum()
    }

    /// The waiting jobs in policy order.
    pub fn iter(&self) -> impl Iterator<Item = &Job> {
        self.jobs.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn job(id: u64, priority: u32) -> Job {
        Job {
            id,
            captured_s: id as f64,
            priority,
            bytes: 1.0,
            cloud_cover: 0.0,
            attempts: 0,
        }
    }

    proptest! {
        /// Every pushed job comes out exactly once, in the policy's order.
        #[test]
        fn queue_orders_and_loses_nothing(priorities in proptest::collection::vec(0u32..4, 0..60), by_priority: bool) {
            let policy = if by_priority { Policy::Priority } else { Policy::Fifo };
            let mut queue = JobQueue::default();
            for (id, p) in priorities.iter().enumerate() {
                queue.push(policy, job(id as u64, *p));
            }
            prop_assert_eq!(queue.len(), priorities.len());
            let out: Vec<Job> = std::iter::from_fn(|| queue.pop()).collect();
            prop_assert_eq!(out.len(), priorities.len());
            for pair in out.windows(2) {
                let ordered = if by_priority {
                    pair[0].priority > pair[1].priority || (pair[0].priority == pair[1].priority && pair[0].id < pair[1].id)
                } else {
                    pair[0].id < pair[1].id
                };
                prop_assert!(ordered);
            }
        }
    }

    /// A queue with jobs writes as JSON and as MessagePack and reads back
    /// equal; a queue written as a map (older checkpoints) still reads.
    #[test]
    fn a_queue_round_trips_through_json_and_messagepack() {
        let mut queue = JobQueue::default();
        for (id, p) in [(0, 1), (1, 5), (2, 5)] {
            queue.push(Policy::Priority, job(id, p));
        }
        let json = serde_json::to_string(&queue).unwrap();
        assert_eq!(serde_json::from_str::<JobQueue>(&json).unwrap(), queue);
        let bytes = rmp_serde::to_vec_named(&queue).unwrap();
        assert_eq!(rmp_serde::from_slice::<JobQueue>(&bytes).unwrap(), queue);
        #[derive(Serialize)]
        struct Old<'a> {
            jobs: &'a BTreeMap<(u32, u64), Job>,
        }
        let old = rmp_serde::to_vec_named(&Old { jobs: &queue.jobs }).unwrap();
        assert_eq!(rmp_serde::from_slice::<JobQueue>(&old).unwrap(), queue);
    }

    #[test]
    fn a_retried_job_keeps_its_place() {
        let mut queue = JobQueue::default();
        for id in 0..3 {
            queue.push(Policy::Fifo, job(id, 0));
        }
        let mut first = queue.pop().unwrap();
        first.attempts += 1;
        queue.push(Policy::Fifo, job(3, 0));
        queue.push(Policy::Fifo, first);
        assert_eq!(queue.pop().unwrap().id, 0);
    }
}
