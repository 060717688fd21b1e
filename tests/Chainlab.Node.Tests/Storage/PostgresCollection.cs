using Chainlab.TestSupport;

namespace Chainlab.Node.Tests.Storage;

/// <summary>Tests in the "postgres" collection share one throwaway PostgreSQL cluster.</summary>
[CollectionDefinition("postgres")]
public sealed class PostgresCollection : ICollectionFixture<PostgresCluster>;
