//! [`DynamoDbReplayCache`]: single-use SAML assertion IDs and OIDC nonces shared by every gateway
//! instance, with a conditional put and DynamoDB's time to live.
//!
//! Each use is one `PutItem` of `{id, expires_at}` with the condition "no item with this id, or
//! only an expired one". Of two instances receiving the same response, exactly one put succeeds.
//! DynamoDB deletes expired items by itself (TTL on `expires_at`); the condition does not rely on
//! that, since TTL deletion can lag by hours.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::ProvideErrorMetadata as _;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
    TimeToLiveSpecification,
};
use sha2::{Digest, Sha256};
use studio_fed_federation::aws::Error as AwsError;
use studio_fed_federation::replay::{BoxFuture, ReplayCache, ReplayError};
use time::OffsetDateTime;

/// The partition key.
const ID: &str = "id";
/// The TTL attribute (epoch seconds).
const EXPIRES_AT: &str = "expires_at";

/// A [`ReplayCache`] in a DynamoDB table (partition key `id`, string; TTL on `expires_at`).
#[derive(Debug, Clone)]
pub struct DynamoDbReplayCache {
    client: Client,
    table: String,
}

impl DynamoDbReplayCache {
    /// Uses `table` through the DynamoDB API of `sdk_config`.
    pub fn new(sdk_config: &aws_config::SdkConfig, table: impl Into<String>) -> Self {
        DynamoDbReplayCache {
            client: Client::new(sdk_config),
            table: table.into(),
        }
    }

    /// Creates the table (on-demand billing, TTL on `expires_at`) unless it exists, and waits
    /// until it is active. For deployments that do not create it with infrastructure code.
    pub async fn ensure_table(&self) -> Result<(), AwsError> {
        let resource = format!("DynamoDB table {}", self.table);
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .attribute_definitions(
                AttributeDefinition::builder()
                    .attribute_name(ID)
                    .attribute_type(ScalarAttributeType::S)
                    .build()
                    .map_err(|e| AwsError::unexpected("dynamodb:CreateTable", &resource, e.to_string()))?,
            )
            .key_schema(
                KeySchemaElement::builder()
                    .attribute_name(ID)
                    .key_type(KeyType::Hash)
                    .build()
                    .map_err(|e| AwsError::unexpected("dynamodb:CreateTable", &resource, e.to_string()))?,
            )
            .billing_mode(BillingMode::PayPerRequest)
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Created before, possibly by a run that stopped before enabling TTL: check the rest.
            Err(e) if e.code() == Some("ResourceInUseException") => {}
            Err(e) => return Err(AwsError::aws("dynamodb:CreateTable", resource, e)),
        }
        self.wait_until_active(&resource).await?;
        let ttl = self
            .client
            .describe_time_to_live()
            .table_name(&self.table)
            .send()
            .await
            .map_err(|e| AwsError::aws("dynamodb:DescribeTimeToLive", &resource, e))?;
        let enabled = ttl.time_to_live_description().is_some_and(|d| {
            d.attribute_name() == Some(EXPIRES_AT) && d.time_to_live_status().is_some_and(|s| s.as_str() != "DISABLED")
        });
        if enabled {
            return Ok(());
        }
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .attribute_name(EXPIRES_AT)
                    .enabled(true)
                    .build()
                    .map_err(|e| AwsError::unexpected("dynamodb:UpdateTimeToLive", &resource, e.to_string()))?,
            )
            .send()
            .await
            .map_err(|e| AwsError::aws("dynamodb:UpdateTimeToLive", resource, e))?;
        Ok(())
    }

    /// Polls DescribeTable until the table is ACTIVE, for at most a minute.
    async fn wait_until_active(&self, resource: &str) -> Result<(), AwsError> {
        for _ in 0..60 {
            let table = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(|e| AwsError::aws("dynamodb:DescribeTable", resource, e))?;
            let status = table
                .table()
                .and_then(|t| t.table_status())
                .map(|s| s.as_str().to_owned());
            if status.as_deref() == Some("ACTIVE") {
                return Ok(());
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
        Err(AwsError::unexpected(
            "dynamodb:DescribeTable",
            resource,
            "the table did not become ACTIVE within a minute; check it in the DynamoDB console",
        ))
    }

    async fn put_once(&self, id: &str, expires_at: OffsetDateTime, now: OffsetDateTime) -> Result<(), ReplayError> {
        // The id is stored hashed: the table never holds assertion IDs or nonces themselves.
        let key = hex(&Sha256::digest(id.as_bytes()));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item(ID, AttributeValue::S(key))
            .item(EXPIRES_AT, AttributeValue::N(expires_at.unix_timestamp().to_string()))
            .condition_expression("attribute_not_exists(#id) OR #exp <= :now")
            .expression_attribute_names("#id", ID)
            .expression_attribute_names("#exp", EXPIRES_AT)
            .expression_attribute_values(":now", AttributeValue::N(now.unix_timestamp().to_string()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(e) if e.code() == Some("ConditionalCheckFailedException") => {
                Err(ReplayError::Replayed { id: id.to_owned() })
            }
            Err(e) => Err(ReplayError::Unavailable(
                AwsError::aws("dynamodb:PutItem", format!("DynamoDB table {}", self.table), e).to_string(),
            )),
        }
    }
}

impl ReplayCache for DynamoDbReplayCache {
    fn use_once<'a>(
        &'a self,
        id: &'a str,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> BoxFuture<'a, Result<(), ReplayError>> {
        Box::pin(self.put_once(id, expires_at, now))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
