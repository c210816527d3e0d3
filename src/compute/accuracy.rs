//! Accuracy of a per-pixel classifier (a cloud detector) against ground truth.
//!
//! **Why.** Whether onboard cloud filtering pays off depends on how often the
//! detector is right: a filter that calls clear ground cloudy throws away good
//! images, one that misses clouds wastes downlink. These are the standard
//! segmentation scores, computed exactly from label images such as a
//! [`Scene`](super::scene::Scene)'s truth and a model's argmax.
//!
//! - Confusion matrix `C[t][p]`: pixels of true class `t` predicted as `p`.
//! - Intersection over union of class k: `C[k][k] / (Σ_p C[k][p] + Σ_t C[t][k] − C[k][k])`;
//!   undefined (`None`) when the class is neither present nor predicted.
//! - Mean IoU: mean over the classes whose IoU is defined.
//! - Pixel accuracy: `Σ_k C[k][k] / Σ C`.
//! - Cloud fraction: share of pixels of class [`Class::Cloud`] (id 1), true and
//!   predicted; its error is predicted − true (positive: too much cloud found).
//!
//! Over many scenes, [`AccuracySummary`] gives both the mean of the per-scene
//! IoUs (each scene weighs the same) and the IoU of the pooled confusion
//! matrix (each pixel weighs the same), and the mean and largest absolute
//! cloud-fraction error — the number an onboard "discard if more than 70 %
//! cloudy" rule depends on.

use serde::{Deserialize, Serialize};

use crate::compute::scene::Class;
use crate::error::{Error, Result};

/// Class ids from NCHW logits with batch 1 (`[1, classes, height, width]`,
/// row-major): for each pixel, the channel with the largest logit, the first
/// one on ties (as `numpy.argmax`); NaN logits never win.
///
/// Fails with `Error::InvalidParameter` if `classes` is not in 1..=256 or the
/// number of logits is not `classes × height × width`.
///
/// ```
/// use orbitedge::compute::accuracy::argmax_classes;
/// // 2 classes, 1 × 3 pixels: channel 0 then channel 1
/// let logits = [0.5, -1.0, 2.0, /* channel 1 */ 0.1, 3.0, 2.0];
/// assert_eq!(argmax_classes(&logits, 2, 1, 3)?, vec![0, 1, 0]);
/// # Ok::<(), orbitedge::Error>(())
/// ```
pub fn argmax_classes(logits: &[f32], classes: usize, height: usize, width: usize) -> Result<Vec<u8>> {
    if !(1..=256).contains(&classes) {
        return Err(Error::parameter(
            "classes",
            classes as f64,
            "an integer from 1 to 256",
        ));
    }
    let pixels = height * width;
    if logits.len() != classes * pixels || pixels == 0 {
        return Err(Error::parameter(
            "number of logits",
            logits.len() as f64,
            "classes × height × width > 0 (NCHW, batch 1)",
        ));
    }
    let mut best: Vec<f32> = logits[..pixels].to_vec();
    let mut ids = vec![0u8; pixels];
    for (k, channel) in logits.chunks_exact(pixels).enumerate().skip(1) {
        for ((b, id), &v) in best.iter_mut().zip(&mut ids).zip(channel) {
            if v > *b || (b.is_nan() && !v.is_nan()) {
                *b = v;
                *id = k as u8;
            }
        }
    }
    Ok(ids)
}

/// Pixel counts by (true class, predicted class).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    /// Number of classes.
    pub classes: usize,
    /// Counts, row-major: `counts[truth * classes + predicted]`.
    pub counts: Vec<u64>,
}

impl ConfusionMatrix {
    /// An all-zero matrix for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Self {
            classes,
            counts: vec![0; classes * classes],
        }
    }

    /// Counts `predicted` against `truth` (same length, ids below `classes`).
    pub fn from_labels(predicted: &[u8], truth: &[u8], classes: usize) -> Result<Self> {
        if !(1..=256).contains(&classes) {
            return Err(Error::parameter(
                "classes",
                classes as f64,
                "an integer from 1 to 256",
            ));
        }
        if truth.is_empty() {
            return Err(Error::EmptyInput { what: "truth labels" });
        }
        if predicted.len() != truth.len() {
            return Err(Error::parameter(
                "number of predicted labels",
                predicted.len() as f64,
                "the number of truth labels",
            ));
        }
        let mut matrix = Self::new(classes);
        for (&p, &t) in predicted.iter().zip(truth) {
            let (p, t) = (usize::from(p), usize::from(t));
            if p >= classes || t >= classes {
                return Err(Error::parameter(
                    "class id",
                    p.max(t) as f64,
                    "below the number of classes",
                ));
            }
            matrix.counts[t * classes + p] += 1;
        }
        Ok(matrix)
    }

    /// Pixels of true class `truth` predicted as `predicted` (panics if either is not below `classes`).
    pub fn get(&self, truth: usize, predicted: usize) -> u64 {
        self.counts[truth * self.classes + predicted]
    }

    /// Adds another matrix's counts (same number of classes).
    pub fn add(&mut self, other: &ConfusionMatrix) -> Result<()> {
        if other.classes != self.classes {
            return Err(Error::parameter(
                "classes of the added confusion matrix",
                other.classes as f64,
                "the same number of classes",
            ));
        }
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        Ok(())
    }

    /// Total number of pixels.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Pixels whose true class is `class`.
    pub fn true_count(&self, class: usize) -> u64 {
        (0..self.classes).map(|p| self.get(class, p)).sum()
    }

    /// Pixels predicted as `class`.
    pub fn predicted_count(&self, class: usize) -> u64 {
        (0..self.classes).map(|t| self.get(t, class)).sum()
    }

    /// Intersection over union of `class`; `None` if it is neither true nor predicted anywhere.
    pub fn iou(&self, class: usize) -> Option<f64> {
        let hit = self.get(class, class);
        let union = self.true_count(class) + self.predicted_count(class) - hit;
        (union > 0).then(|| hit as f64 / union as f64)
    }

    /// IoU of every class.
    pub fn ious(&self) -> Vec<Option<f64>> {
        (0..self.classes).map(|k| self.iou(k)).collect()
    }

    /// Share of pixels classified correctly (`None` for an empty matrix).
    pub fn pixel_accuracy(&self) -> Option<f64> {
        let total = self.total();
        let right: u64 = (0..self.classes).map(|k| self.get(k, k)).sum();
        (total > 0).then(|| right as f64 / total as f64)
    }
}

/// Mean of the defined values, `None` if there are none.
fn mean_defined(values: &[Option<f64>]) -> Option<f64> {
    let defined: Vec<f64> = values.iter().flatten().copied().collect();
    (!defined.is_empty()).then(|| defined.iter().sum::<f64>() / defined.len() as f64)
}

/// Accuracy of one prediction against its truth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracyReport {
    /// Pixel counts by (true, predicted) class.
    pub confusion: ConfusionMatrix,
    /// IoU per class (`None`: class neither true nor predicted).
    pub iou: Vec<Option<f64>>,
    /// Mean of the defined IoUs.
    pub mean_iou: Option<f64>,
    /// Share of pixels classified correctly.
    pub pixel_accuracy: f64,
    /// True share of cloud pixels.
    pub cloud_fraction_true: f64,
    /// Predicted share of cloud pixels.
    pub cloud_fraction_predicted: f64,
    /// `cloud_fraction_predicted − cloud_fraction_true`.
    pub cloud_fraction_error: f64,
}

impl AccuracyReport {
    /// Compares predicted class ids with the truth (class 1 is cloud, as in [`Class`]).
    ///
    /// ```
    /// use orbitedge::compute::accuracy::AccuracyReport;
    /// let truth = [0, 0, 1, 1];
    /// let predicted = [0, 1, 1, 1];
    /// let report = AccuracyReport::compare(&predicted, &truth, 3)?;
    /// assert_eq!(report.iou[1], Some(2.0 / 3.0));
    /// assert_eq!(report.iou[2], None); // no shadow anywhere
    /// assert_eq!(report.cloud_fraction_error, 0.25);
    /// # Ok::<(), orbitedge::Error>(())
    /// ```
    pub fn compare(predicted: &[u8], truth: &[u8], classes: usize) -> Result<Self> {
        Self::from_confusion(ConfusionMatrix::from_labels(predicted, truth, classes)?)
    }

    /// The scores of a confusion matrix (at least 2 classes, at least one pixel).
    pub fn from_confusion(confusion: ConfusionMatrix) -> Result<Self> {
        let cloud = usize::from(Class::Cloud.id());
        if confusion.classes <= cloud {
            return Err(Error::parameter(
                "classes",
                confusion.classes as f64,
                "at least 2 (class 1 is cloud)",
            ));
        }
        let total = confusion.total();
        if total == 0 {
            return Err(Error::EmptyInput {
                what: "confusion matrix",
            });
        }
        let iou = confusion.ious();
        let cloud_fraction_true = confusion.true_count(cloud) as f64 / total as f64;
        let cloud_fraction_predicted = confusion.predicted_count(cloud) as f64 / total as f64;
        Ok(Self {
            mean_iou: mean_defined(&iou),
            pixel_accuracy: confusion.pixel_accuracy().unwrap_or(0.0),
            iou,
            cloud_fraction_true,
            cloud_fraction_predicted,
            cloud_fraction_error: cloud_fraction_predicted - cloud_fraction_true,
            confusion,
        })
    }
}

/// Accuracy over many scenes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccuracySummary {
    /// Number of scenes.
    pub scenes: usize,
    /// Per class, the mean of the per-scene IoUs over the scenes where it is defined.
    pub mean_iou_per_class: Vec<Option<f64>>,
    /// Per class, the number of scenes where its IoU is defined.
    pub scenes_with_class: Vec<usize>,
    /// Mean of `mean_iou_per_class` (defined entries).
    pub mean_iou: Option<f64>,
    /// The confusion matrix of all pixels of all scenes.
    pub pooled_confusion: ConfusionMatrix,
    /// Per class, the IoU of the pooled confusion matrix.
    pub pooled_iou_per_class: Vec<Option<f64>>,
    /// Mean of the per-scene pixel accuracies.
    pub mean_pixel_accuracy: f64,
    /// Mean signed cloud-fraction error (predicted − true): the bias.
    pub mean_cloud_fraction_error: f64,
    /// Mean absolute cloud-fraction error.
    pub mean_abs_cloud_fraction_error: f64,
    /// Largest absolute cloud-fraction error.
    pub max_abs_cloud_fraction_error: f64,
}

impl AccuracySummary {
    /// Aggregates per-scene reports (at least one, all with the same number of classes).
    pub fn from_reports(reports: &[AccuracyReport]) -> Result<Self> {
        let first = reports.first().ok_or(Error::EmptyInput {
            what: "accuracy reports",
        })?;
        let classes = first.confusion.classes;
        let mut pooled = ConfusionMatrix::new(classes);
        for report in reports {
            pooled.add(&report.confusion)?;
        }
        let n = reports.len() as f64;
        let per_class: Vec<Vec<Option<f64>>> = (0..classes)
            .map(|k| reports.iter().map(|r| r.iou[k]).collect())
            .collect();
        let mean_iou_per_class: Vec<Option<f64>> = per_class.iter().map(|v| mean_defined(v)).collect();
        let errors = reports.iter().map(|r| r.cloud_fraction_error);
        Ok(Self {
            scenes: reports.len(),
            scenes_with_class: per_class.iter().map(|v| v.iter().flatten().count()).collect(),
            mean_iou: mean_defined(&mean_iou_per_class),
            mean_iou_per_class,
            pooled_iou_per_class: pooled.ious(),
            pooled_confusion: pooled,
            mean_pixel_accuracy: reports.iter().map(|r| r.pixel_accuracy).sum::<f64>() / n,
            mean_cloud_fraction_error: errors.clone().sum::<f64>() / n,
            mean_abs_cloud_fraction_error: errors.clone().map(f64::abs).sum::<f64>() / n,
            max_abs_cloud_fraction_error: errors.map(f64::abs).fold(0.0, f64::max),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_picks_the_largest_channel_first_on_ties() {
        // 3 classes, 2 × 2 pixels.
        #[rustfmt::skip]
        let logits = [
            1.0, 0.0, -1.0, 5.0, // clear
            2.0, 0.0, -3.0, 1.0, // cloud
            0.5, 3.0, f32::NAN, 1.0, // shadow
        ];
        assert_eq!(argmax_classes(&logits, 3, 2, 2).unwrap(), vec![1, 2, 0, 0]);
        let nan_first = [f32::NAN, 1.0];
        assert_eq!(argmax_classes(&nan_first, 2, 1, 1).unwrap(), vec![1]);
        assert!(argmax_classes(&logits, 3, 2, 3).is_err());
        assert!(argmax_classes(&logits, 0, 2, 2).is_err());
        assert!(argmax_classes(&[], 3, 0, 0).is_err());
    }

    #[test]
    fn hand_computed_scores() {
        // truth:     0 0 0 0 1 1 1 2
        // predicted: 0 0 1 2 1 1 0 2
        let truth = [0, 0, 0, 0, 1, 1, 1, 2];
        let predicted = [0, 0, 1, 2, 1, 1, 0, 2];
        let r = AccuracyReport::compare(&predicted, &truth, 3).unwrap();
        assert_eq!(r.confusion.counts, vec![2, 1, 1, 1, 2, 0, 0, 0, 1]);
        // clear: 2 / (4 + 3 − 2) = 0.4; cloud: 2 / (3 + 3 − 2) = 0.5; shadow: 1 / (1 + 2 − 1) = 0.5
        assert_eq!(r.iou, vec![Some(0.4), Some(0.5), Some(0.5)]);
        assert_eq!(r.mean_iou, Some((0.4 + 0.5 + 0.5) / 3.0));
        assert_eq!(r.pixel_accuracy, 5.0 / 8.0);
        assert_eq!(r.cloud_fraction_true, 3.0 / 8.0);
        assert_eq!(r.cloud_fraction_predicted, 3.0 / 8.0);
        assert_eq!(r.cloud_fraction_error, 0.0);
    }

    #[test]
    fn absent_classes_have_no_iou() {
        let r = AccuracyReport::compare(&[0, 0, 0, 0], &[0, 0, 0, 0], 3).unwrap();
        assert_eq!(r.iou, vec![Some(1.0), None, None]);
        assert_eq!(r.mean_iou, Some(1.0));
        assert_eq!(r.cloud_fraction_error, 0.0);
        // Predicted but never true: defined, and 0.
        let r = AccuracyReport::compare(&[1, 0], &[0, 0], 3).unwrap();
        assert_eq!(r.iou, vec![Some(0.5), Some(0.0), None]);
        assert_eq!(r.cloud_fraction_error, 0.5);
    }

    #[test]
    fn bad_inputs_are_rejected() {
        assert!(matches!(
            AccuracyReport::compare(&[0], &[0, 1], 3),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            AccuracyReport::compare(&[3], &[0], 3),
            Err(Error::InvalidParameter { .. })
        ));
        assert!(matches!(
            AccuracyReport::compare(&[], &[], 3),
            Err(Error::EmptyInput { .. })
        ));
        assert!(AccuracyReport::compare(&[0], &[0], 1).is_err()); // no cloud class
        assert!(AccuracySummary::from_reports(&[]).is_err());
        let mut m = ConfusionMatrix::new(3);
        assert!(m.add(&ConfusionMatrix::new(2)).is_err());
    }

    #[test]
    fn summary_of_two_scenes() {
        // Scene a: truth 0 0 1 1, predicted 0 1 1 1 → IoU [1/2, 2/3, None], error +1/4.
        // Scene b: truth 1 1 2 2, predicted 1 0 2 2 → IoU [0, 1/2, 1], error −1/4.
        let a = AccuracyReport::compare(&[0, 1, 1, 1], &[0, 0, 1, 1], 3).unwrap();
        let b = AccuracyReport::compare(&[1, 0, 2, 2], &[1, 1, 2, 2], 3).unwrap();
        assert_eq!(a.iou, vec![Some(0.5), Some(2.0 / 3.0), None]);
        assert_eq!(b.iou, vec![Some(0.0), Some(0.5), Some(1.0)]);
        let s = AccuracySummary::from_reports(&[a, b]).unwrap();
        assert_eq!(s.scenes, 2);
        assert_eq!(s.scenes_with_class, vec![2, 2, 1]);
        assert_eq!(
            s.mean_iou_per_class,
            vec![Some(0.25), Some((2.0 / 3.0 + 0.5) / 2.0), Some(1.0)]
        );
        // Pooled: counts [[1,1,0],[1,3,0],[0,0,2]] → clear 1/3, cloud 3/5, shadow 1.
        assert_eq!(s.pooled_confusion.counts, vec![1, 1, 0, 1, 3, 0, 0, 0, 2]);
        assert_eq!(
            s.pooled_iou_per_class,
            vec![Some(1.0 / 3.0), Some(0.6), Some(1.0)]
        );
        assert_eq!(s.mean_pixel_accuracy, 0.75);
        assert_eq!(s.mean_cloud_fraction_error, 0.0);
        assert_eq!(s.mean_abs_cloud_fraction_error, 0.25);
        assert_eq!(s.max_abs_cloud_fraction_error, 0.25);
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(serde_json::from_str::<AccuracySummary>(&json).unwrap(), s);
    }
}
