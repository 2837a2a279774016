//! Validated inputs shared by every builder: account, region, buckets, roles,
//! network and encryption settings (Role Manager's placeholders).

use super::unique;
use crate::error::{Error, Result};

/// The partitions studio-fed builds policies for.
const PARTITIONS: [&str; 3] = ["aws", "aws-cn", "aws-us-gov"];

/// An S3 location: a bucket, optionally narrowed to a key prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct S3Location {
    bucket: String,
    prefix: Option<String>,
}

impl S3Location {
    /// The bucket name.
    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// The key prefix, without the trailing `/`, if the location has one.
    pub fn prefix(&self) -> Option<&str> {
        self.prefix.as_deref()
    }

    /// `arn:{partition}:s3:::{bucket}`: the bucket itself (for bucket-level actions).
    pub(crate) fn bucket_arn(&self, partition: &str) -> String {
        format!("arn:{partition}:s3:::{}", self.bucket)
    }

    /// `arn:{partition}:s3:::{bucket}[/{prefix}]/*`: the objects of the location.
    pub(crate) fn objects_arn(&self, partition: &str) -> String {
        match &self.prefix {
            Some(prefix) => format!("arn:{partition}:s3:::{}/{prefix}/*", self.bucket),
            None => format!("arn:{partition}:s3:::{}/*", self.bucket),
        }
    }

    fn parse(text: &str) -> Result<Self> {
        const FIELD: &str = "s3 bucket";
        if text.starts_with("s3://") || text.starts_with("arn:") {
            return Err(Error::input(
                FIELD,
                text,
                "expected a bucket name or bucket/prefix, without the s3:// or arn: prefix",
            ));
        }
        check_name(FIELD, text)?;
        let (bucket, prefix) = match text.split_once('/') {
            Some((bucket, prefix)) => (bucket, Some(prefix.trim_end_matches('/'))),
            None => (text, None),
        };
        let bucket_ok = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
            && bucket.starts_with(|c: char| c.is_ascii_alphanumeric())
            && bucket.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !bucket_ok {
            return Err(Error::input(
                FIELD,
                text,
                "expected an S3 bucket name (3-63 lowercase letters, digits, dots or hyphens, starting and ending \
                 with a letter or digit), optionally followed by /prefix",
            ));
        }
        let prefix = match prefix {
            Some("") => None,
            Some(prefix) if prefix.split('/').any(str::is_empty) => {
                return Err(Error::input(
                    FIELD,
                    text,
                    "the key prefix has an empty path segment (//)",
                ));
            }
            other => other.map(str::to_owned),
        };
        Ok(S3Location {
            bucket: bucket.to_owned(),
            prefix,
        })
    }
}

/// The parts of an ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// Splits an ARN into its parts; `None` when it does not have ARN shape.
    pub(crate) fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return None;
        };
        if partition.is_empty() || service.is_empty() || resource.is_empty() {
            return None;
        }
        Some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// What an ARN input must look like.
pub(crate) struct ArnShape {
    /// The service, e.g. `iam`.
    pub service: &'static str,
    /// Whether the ARN carries a region (IAM ARNs do not).
    pub regional: bool,
    /// The resource prefix, e.g. `role/`.
    pub resource_prefix: &'static str,
    /// An example for error messages.
    pub example: &'static str,
}

pub(crate) const ROLE_ARN: ArnShape = ArnShape {
    service: "iam",
    regional: false,
    resource_prefix: "role/",
    example: "arn:aws:iam::123456789012:role/SageMakerExecution",
};
const ECR_REPOSITORY_ARN: ArnShape = ArnShape {
    service: "ecr",
    regional: true,
    resource_prefix: "repository/",
    example: "arn:aws:ecr:us-east-1:123456789012:repository/my-image",
};
const KMS_KEY_ARN: ArnShape = ArnShape {
    service: "kms",
    regional: true,
    resource_prefix: "key/",
    example: "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
};

/// Checks that `value` is an ARN of the given shape in `partition` (any
/// partition when `None`).
pub(crate) fn check_arn(field: &'static str, value: &str, shape: &ArnShape, partition: Option<&str>) -> Result<()> {
    check_name(field, value)?;
    let wrong = || {
        Error::input(
            field,
            value,
            format!(
                "expected an ARN of the form arn:partition:{}:{}account:{}..., e.g. {}",
                shape.service,
                if shape.regional { "region:" } else { ":" },
                shape.resource_prefix,
                shape.example
            ),
        )
    };
    let arn = Arn::parse(value).ok_or_else(wrong)?;
    let region_ok = if shape.regional {
        is_region(arn.region)
    } else {
        arn.region.is_empty()
    };
    if arn.service != shape.service
        || !region_ok
        || !is_account(arn.account)
        || !arn.resource.starts_with(shape.resource_prefix)
        || arn.resource.len() == shape.resource_prefix.len()
    {
        return Err(wrong());
    }
    if let Some(partition) = partition
        && arn.partition != partition
    {
        return Err(Error::input(
            field,
            value,
            format!(
                "the ARN is in partition {:?} but the inputs are for partition {partition:?}",
                arn.partition
            ),
        ));
    }
    Ok(())
}

/// Role Manager's rule for names: `^[A-Za-z0-9./:_-]+$`.
pub(crate) fn check_name(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::input(field, value, "must not be empty"));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | ':' | '_' | '-')))
    {
        return Err(Error::input(
            field,
            value,
            format!("contains {bad:?}; only letters, digits and . / : _ - are allowed"),
        ));
    }
    Ok(())
}

/// A region name such as `us-east-1` or `us-gov-west-1`.
pub(crate) fn is_region(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1]
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
        && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
        && !parts[parts.len() - 1].is_empty()
}

/// A 12-digit account id.
pub(crate) fn is_account(text: &str) -> bool {
    text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit())
}

/// `prefix` followed by 8 or 17 lowercase hex digits, e.g. `subnet-0a1b2c3d`.
pub(crate) fn is_resource_id(text: &str, prefix: &str) -> bool {
    text.strip_prefix(prefix).is_some_and(|hex| {
        matches!(hex.len(), 8 | 17) && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Checks an EC2-style resource id such as `subnet-0a1b2c3d`.
pub(crate) fn check_resource_id(field: &'static str, value: &str, prefix: &str) -> Result<()> {
    if is_resource_id(value, prefix) {
        Ok(())
    } else {
        Err(Error::input(
            field,
            value,
            format!("expected {prefix} followed by 8 or 17 lowercase hex digits, e.g. {prefix}0a1b2c3d4e5f60718"),
        ))
    }
}

/// The inputs of the policy builders, validated (Role Manager's placeholders).
///
/// Build with [`RoleInputs::builder`]:
///
/// ```
/// use studio_fed_policy::build::RoleInputs;
///
/// let inputs = RoleInputs::builder()
///     .region("us-east-1")
///     .account("123456789012")
///     .s3_bucket("ml-data/team-a")
///     .pass_role("arn:aws:iam::123456789012:role/SageMakerCompute")
///     .build()?;
/// assert_eq!(inputs.sagemaker_arn_pattern(), "arn:aws:sagemaker:us-east-1:123456789012:*/*");
/// assert_eq!(inputs.athena_workgroups(), ["primary"]);
/// # Ok::<(), studio_fed_policy::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleInputs {
    partition: String,
    region: Option<String>,
    account: Option<String>,
    s3_locations: Vec<S3Location>,
    pass_roles: Vec<String>,
    ecr_repositories: Vec<String>,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    data_kms_keys: Vec<String>,
    volume_kms_keys: Vec<String>,
    athena_workgroups: Vec<String>,
    glue_databases: Vec<String>,
}

impl Default for RoleInputs {
    /// No account, no region, partition `aws`, workgroup `primary`, nothing else.
    fn default() -> Self {
        RoleInputs {
            partition: "aws".into(),
            region: None,
            account: None,
            s3_locations: Vec::new(),
            pass_roles: Vec::new(),
            ecr_repositories: Vec::new(),
            subnets: Vec::new(),
            security_groups: Vec::new(),
            data_kms_keys: Vec::new(),
            volume_kms_keys: Vec::new(),
            athena_workgroups: vec!["primary".into()],
            glue_databases: Vec::new(),
        }
    }
}

impl RoleInputs {
    /// A builder with nothing set.
    pub fn builder() -> RoleInputsBuilder {
        RoleInputsBuilder::default()
    }

    /// The partition, `aws` unless set.
    pub fn partition(&self) -> &str {
        &self.partition
    }

    /// The region, if known.
    pub fn region(&self) -> Option<&str> {
        self.region.as_deref()
    }

    /// The account id, if known.
    pub fn account(&self) -> Option<&str> {
        self.account.as_deref()
    }

    /// The S3 locations (Role Manager's `S3Buckets`).
    pub fn s3_locations(&self) -> &[S3Location] {
        &self.s3_locations
    }

    /// Role ARNs the role may pass to SageMaker.
    pub fn pass_roles(&self) -> &[String] {
        &self.pass_roles
    }

    /// ECR repository ARNs images may be pulled from.
    pub fn ecr_repositories(&self) -> &[String] {
        &self.ecr_repositories
    }

    /// VPC subnet ids; empty, or given together with security groups.
    pub fn subnets(&self) -> &[String] {
        &self.subnets
    }

    /// VPC security group ids; empty, or given together with subnets.
    pub fn security_groups(&self) -> &[String] {
        &self.security_groups
    }

    /// KMS key ARNs for data (S3 output); empty, or given together with volume keys.
    pub fn data_kms_keys(&self) -> &[String] {
        &self.data_kms_keys
    }

    /// KMS key ARNs for ML storage volumes; empty, or given together with data keys.
    pub fn volume_kms_keys(&self) -> &[String] {
        &self.volume_kms_keys
    }

    /// Athena workgroup names (`["primary"]` unless set).
    pub fn athena_workgroups(&self) -> &[String] {
        &self.athena_workgroups
    }

    /// Glue database names.
    pub fn glue_databases(&self) -> &[String] {
        &self.glue_databases
    }

    /// True when subnets and security groups are set (the VPC variants apply).
    pub fn has_vpc(&self) -> bool {
        !self.subnets.is_empty()
    }

    /// True when data and volume keys are set (the KMS variants apply).
    pub fn has_kms(&self) -> bool {
        !self.volume_kms_keys.is_empty()
    }

    /// `ARN*`: `arn:{partition}:sagemaker:*:*:*/*`, narrowed to the region and
    /// account when both are known.
    pub fn sagemaker_arn_pattern(&self) -> String {
        self.arn("sagemaker", "*/*")
    }

    /// `arn:{partition}:{service}:{region}:{account}:{resource}`, with `*` for
    /// region and account unless both are known.
    pub(crate) fn arn(&self, service: &str, resource: &str) -> String {
        let (region, account) = match (&self.region, &self.account) {
            (Some(region), Some(account)) => (region.as_str(), account.as_str()),
            _ => ("*", "*"),
        };
        format!("arn:{}:{service}:{region}:{account}:{resource}", self.partition)
    }

    /// `{service}.{region}.{dns suffix}` for `kms:ViaService`, with `*` for an
    /// unknown region.
    pub(crate) fn via_service(&self, service: &str) -> String {
        let suffix = if self.partition == "aws-cn" {
            "amazonaws.com.cn"
        } else {
            "amazonaws.com"
        };
        format!("{service}.{}.{suffix}", self.region.as_deref().unwrap_or("*"))
    }
}

/// Builds [`RoleInputs`]; [`RoleInputsBuilder::build`] validates everything.
///
/// List setters append; calling one twice adds to the list.
#[derive(Debug, Clone, Default)]
pub struct RoleInputsBuilder {
    partition: Option<String>,
    region: Option<String>,
    account: Option<String>,
    s3_buckets: Vec<String>,
    pass_roles: Vec<String>,
    ecr_repositories: Vec<String>,
    subnets: Vec<String>,
    security_groups: Vec<String>,
    data_kms_keys: Vec<String>,
    volume_kms_keys: Vec<String>,
    athena_workgroups: Vec<String>,
    glue_databases: Vec<String>,
}

fn extend<I, S>(list: &mut Vec<String>, values: I)
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    list.extend(values.into_iter().map(Into::into));
}

impl RoleInputsBuilder {
    /// The partition: `aws` (default), `aws-cn` or `aws-us-gov`.
    pub fn partition(mut self, partition: impl Into<String>) -> Self {
        self.partition = Some(partition.into());
        self
    }

    /// The region, e.g. `us-east-1`.
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The 12-digit account id.
    pub fn account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Adds an S3 location: `bucket` or `bucket/prefix`.
    pub fn s3_bucket(self, location: impl Into<String>) -> Self {
        self.s3_buckets([location.into()])
    }

    /// Adds S3 locations: `bucket` or `bucket/prefix` each.
    pub fn s3_buckets<I, S>(mut self, locations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.s3_buckets, locations);
        self
    }

    /// Adds a role ARN the role may pass to SageMaker.
    pub fn pass_role(self, role_arn: impl Into<String>) -> Self {
        self.pass_roles([role_arn.into()])
    }

    /// Adds role ARNs the role may pass to SageMaker.
    pub fn pass_roles<I, S>(mut self, role_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.pass_roles, role_arns);
        self
    }

    /// Adds ECR repository ARNs images may be pulled from.
    pub fn ecr_repositories<I, S>(mut self, repository_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.ecr_repositories, repository_arns);
        self
    }

    /// Adds VPC subnet ids (`subnet-...`); give security groups too.
    pub fn subnets<I, S>(mut self, subnet_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.subnets, subnet_ids);
        self
    }

    /// Adds VPC security group ids (`sg-...`); give subnets too.
    pub fn security_groups<I, S>(mut self, security_group_ids: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.security_groups, security_group_ids);
        self
    }

    /// Adds KMS key ARNs for data written to S3; give volume keys too.
    pub fn data_kms_keys<I, S>(mut self, key_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.data_kms_keys, key_arns);
        self
    }

    /// Adds KMS key ARNs for ML storage volumes; give data keys too.
    pub fn volume_kms_keys<I, S>(mut self, key_arns: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.volume_kms_keys, key_arns);
        self
    }

    /// Adds Athena workgroup names (replacing the default `primary`).
    pub fn athena_workgroups<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.athena_workgroups, names);
        self
    }

    /// Adds Glue database names.
    pub fn glue_databases<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        extend(&mut self.glue_databases, names);
        self
    }

    /// Validates the inputs. The first problem found is returned, naming the
    /// field and the value and saying what is expected.
    pub fn build(self) -> Result<RoleInputs> {
        let partition = self.partition.unwrap_or_else(|| "aws".into());
        if !PARTITIONS.contains(&partition.as_str()) {
            return Err(Error::input(
                "partition",
                partition,
                "expected aws, aws-cn or aws-us-gov",
            ));
        }
        if let Some(region) = &self.region
            && !is_region(region)
        {
            return Err(Error::input(
                "region",
                region,
                "expected a region name such as us-east-1",
            ));
        }
        if let Some(account) = &self.account
            && !is_account(account)
        {
            return Err(Error::input("account", account, "expected a 12-digit AWS account id"));
        }
        let s3_locations = unique(
            self.s3_buckets
                .iter()
                .map(|b| S3Location::parse(b))
                .collect::<Result<Vec<_>>>()?,
        );
        let arns = |field, values: Vec<String>, shape: &ArnShape| -> Result<Vec<String>> {
            for value in &values {
                check_arn(field, value, shape, Some(&partition))?;
            }
            Ok(unique(values))
        };
        let pass_roles = arns("pass role", self.pass_roles, &ROLE_ARN)?;
        let ecr_repositories = arns("ECR repository", self.ecr_repositories, &ECR_REPOSITORY_ARN)?;
        let data_kms_keys = arns("data KMS key", self.data_kms_keys, &KMS_KEY_ARN)?;
        let volume_kms_keys = arns("volume KMS key", self.volume_kms_keys, &KMS_KEY_ARN)?;
        for subnet in &self.subnets {
            check_resource_id("VPC subnet", subnet, "subnet-")?;
        }
        for group in &self.security_groups {
            check_resource_id("VPC security group", group, "sg-")?;
        }
        let names = |field, values: Vec<String>| -> Result<Vec<String>> {
            for value in &values {
                check_name(field, value)?;
            }
            Ok(unique(values))
        };
        let athena_workgroups = names("Athena workgroup", self.athena_workgroups)?;
        let glue_databases = names("Glue database", self.glue_databases)?;
        let subnets = unique(self.subnets);
        let security_groups = unique(self.security_groups);
        together(("VPC subnets", &subnets), ("VPC security groups", &security_groups))?;
        together(("data KMS keys", &data_kms_keys), ("volume KMS keys", &volume_kms_keys))?;
        Ok(RoleInputs {
            partition,
            region: self.region,
            account: self.account,
            s3_locations,
            pass_roles,
            ecr_repositories,
            subnets,
            security_groups,
            data_kms_keys,
            volume_kms_keys,
            athena_workgroups: if athena_workgroups.is_empty() {
                vec!["primary".into()]
            } else {
                athena_workgroups
            },
            glue_databases,
        })
    }
}

/// Two lists that must be both empty or both set.
fn together((a_field, a): (&'static str, &[String]), (b_field, b): (&'static str, &[String])) -> Result<()> {
    let missing = |given_field: &'static str, given: &[String], missing_field: &str| {
        Error::input(
            given_field,
            given.join(","),
            format!("given without {missing_field}; give both or neither"),
        )
    };
    match (a.is_empty(), b.is_empty()) {
        (false, true) => Err(missing(a_field, a, b_field)),
        (true, false) => Err(missing(b_field, b, a_field)),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn err(builder: RoleInputsBuilder) -> String {
        builder.build().unwrap_err().to_string()
    }

    #[test]
    fn arn_pattern_is_narrowed_only_when_region_and_account_are_known() {
        let none = RoleInputs::builder().build().unwrap();
        assert_eq!(none.sagemaker_arn_pattern(), "arn:aws:sagemaker:*:*:*/*");
        let region_only = RoleInputs::builder().region("eu-west-1").build().unwrap();
        assert_eq!(region_only.sagemaker_arn_pattern(), "arn:aws:sagemaker:*:*:*/*");
        let both = RoleInputs::builder()
            .partition("aws-us-gov")
            .region("us-gov-west-1")
            .account("123456789012")
            .build()
            .unwrap();
        assert_eq!(
            both.sagemaker_arn_pattern(),
            "arn:aws-us-gov:sagemaker:us-gov-west-1:123456789012:*/*"
        );
    }

    #[test]
    fn s3_locations_split_bucket_and_prefix() {
        let inputs = RoleInputs::builder()
            .s3_buckets(["ml-data", "ml-data/team-a/", "ml-data"])
            .build()
            .unwrap();
        let locations = inputs.s3_locations();
        assert_eq!(locations.len(), 2, "duplicates are dropped");
        assert_eq!((locations[0].bucket(), locations[0].prefix()), ("ml-data", None));
        assert_eq!(
            (locations[1].bucket(), locations[1].prefix()),
            ("ml-data", Some("team-a"))
        );
        assert_eq!(locations[1].objects_arn("aws"), "arn:aws:s3:::ml-data/team-a/*");
        assert_eq!(locations[1].bucket_arn("aws"), "arn:aws:s3:::ml-data");
    }

    #[test]
    fn bad_values_are_named_in_errors() {
        let e = err(RoleInputs::builder().account("12345"));
        assert_eq!(e, "invalid account \"12345\": expected a 12-digit AWS account id");
        let e = err(RoleInputs::builder().region("US-East-1"));
        assert!(e.starts_with("invalid region \"US-East-1\""), "{e}");
        let e = err(RoleInputs::builder().s3_bucket("s3://ml-data"));
        assert!(e.contains("without the s3:// or arn: prefix"), "{e}");
        let e = err(RoleInputs::builder().s3_bucket("ml data"));
        assert!(e.contains("contains ' '"), "{e}");
        let e = err(RoleInputs::builder().s3_bucket("ML_Data"));
        assert!(
            e.starts_with("invalid s3 bucket \"ML_Data\": expected an S3 bucket name"),
            "{e}"
        );
        let e = err(RoleInputs::builder().pass_role("arn:aws:iam::123456789012:user/alice"));
        assert!(
            e.starts_with("invalid pass role \"arn:aws:iam::123456789012:user/alice\""),
            "{e}"
        );
        let e = err(RoleInputs::builder()
            .subnets(["subnet-xyz"])
            .security_groups(["sg-0a1b2c3d"]));
        assert!(e.starts_with("invalid VPC subnet \"subnet-xyz\""), "{e}");
    }

    #[test]
    fn paired_inputs_must_come_together() {
        let e = err(RoleInputs::builder().subnets(["subnet-0a1b2c3d"]));
        assert_eq!(
            e,
            "invalid VPC subnets \"subnet-0a1b2c3d\": given without VPC security groups; give both or neither"
        );
        let e = err(RoleInputs::builder().volume_kms_keys([KMS_KEY_ARN.example]));
        assert!(e.contains("given without data KMS keys"), "{e}");
    }

    #[test]
    fn arns_must_be_in_the_inputs_partition() {
        let e = err(RoleInputs::builder()
            .partition("aws-cn")
            .pass_role("arn:aws:iam::123456789012:role/x"));
        assert!(
            e.contains("partition \"aws\" but the inputs are for partition \"aws-cn\""),
            "{e}"
        );
    }

    #[test]
    fn region_shapes() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-4",
            "cn-north-1",
            "eu-central-2",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in ["us-east", "useast1", "us-east-1a", "us--1", "USA-east-1", ""] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
