// gitops-health/review: forge review evidence (pull requests, reviews, CODEOWNERS teams) for the approval rules.
export { fetchGithubReviews, type GithubReviewOptions, type GithubReviewRecords } from "../review/github.js";
export { fetchGitlabReviews, type GitlabReviewOptions, type GitlabReviewRecords } from "../review/gitlab.js";
export {
  readSignedApprovals,
  type SignedChangeApproval,
  type RejectedSignedApproval,
  type SignedCoverage,
} from "../review/signed.js";
export {
  recordReviewEvidence,
  recordReviewDelivery,
  readReviewEvidence,
  deliverySeen,
  signedReviewEntry,
  verifyReviewEntry,
  keyFileSigner,
  noteSigner,
  type Signer,
  type VerifiedReviewEvidence,
} from "../review/evidence.js";
export {
  reviewCommits,
  signedApprovalViews,
  mapCommitsToPulls,
  approvalCurrency,
  standingReviews,
  pullReviews,
  pullReviewOfCommit,
  type PullReview,
  type PullApproval,
  type CommitReview,
  type RangeCommit,
  type ReviewEvidenceSet,
} from "../review/approvals.js";
export { parseCodeOwners, ownersOf, teamsIn, CODEOWNERS_LOCATIONS, type CodeOwners } from "../review/codeowners.js";
export {
  githubWebhookRecords,
  gitlabWebhookRecords,
  verifyGithubSignature,
  verifyGitlabToken,
} from "../review/webhooks.js";
export {
  PullRecord,
  ReviewRecord,
  TeamRecord,
  authorFingerprint,
  reviewStatement,
  REVIEW_ENTRY,
} from "../review/model.js";
