using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Threeport.Modules.Platform.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class KubernetesRuntimesAndWorkloads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "KubernetesRuntimeDefinition",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    InfraProvider = table.Column<string>(type: "TEXT", nullable: false),
                    InfraProviderAccountName = table.Column<string>(type: "TEXT", nullable: true),
                    HighAvailability = table.Column<bool>(type: "INTEGER", nullable: true),
                    NodeSize = table.Column<string>(type: "TEXT", nullable: true),
                    NodeProfile = table.Column<string>(type: "TEXT", nullable: true),
                    NodeMaximum = table.Column<int>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false),
                    Reconciled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreationAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationFailed = table.Column<bool>(type: "INTEGER", nullable: false),
                    DeletionScheduled = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    InterruptReconciliation = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KubernetesRuntimeDefinition", x => x.ID);
                });

            migrationBuilder.CreateTable(
                name: "WorkloadDefinition",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    YAMLDocument = table.Column<string>(type: "TEXT", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false),
                    Reconciled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreationAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationFailed = table.Column<bool>(type: "INTEGER", nullable: false),
                    DeletionScheduled = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    InterruptReconciliation = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkloadDefinition", x => x.ID);
                });

            migrationBuilder.CreateTable(
                name: "KubernetesRuntimeInstance",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    KubernetesRuntimeDefinitionID = table.Column<long>(type: "INTEGER", nullable: false),
                    Location = table.Column<string>(type: "TEXT", nullable: true),
                    DefaultRuntime = table.Column<bool>(type: "INTEGER", nullable: false),
                    ThreeportControlPlaneHost = table.Column<bool>(type: "INTEGER", nullable: false),
                    KubeconfigPath = table.Column<string>(type: "TEXT", nullable: true),
                    KubeconfigContext = table.Column<string>(type: "TEXT", nullable: true),
                    Kubeconfig = table.Column<string>(type: "TEXT", nullable: true),
                    APIEndpoint = table.Column<string>(type: "TEXT", nullable: true),
                    ServerVersion = table.Column<string>(type: "TEXT", nullable: true),
                    LastReachedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false),
                    Reconciled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreationAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationFailed = table.Column<bool>(type: "INTEGER", nullable: false),
                    DeletionScheduled = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    InterruptReconciliation = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_KubernetesRuntimeInstance", x => x.ID);
                    table.ForeignKey(
                        name: "FK_KubernetesRuntimeInstance_KubernetesRuntimeDefinition_KubernetesRuntimeDefinitionID",
                        column: x => x.KubernetesRuntimeDefinitionID,
                        principalTable: "KubernetesRuntimeDefinition",
                        principalColumn: "ID",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "WorkloadInstance",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    WorkloadDefinitionID = table.Column<long>(type: "INTEGER", nullable: false),
                    KubernetesRuntimeInstanceID = table.Column<long>(type: "INTEGER", nullable: true),
                    Status = table.Column<string>(type: "TEXT", nullable: true),
                    Namespace = table.Column<string>(type: "TEXT", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false),
                    Reconciled = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreationAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    CreationFailed = table.Column<bool>(type: "INTEGER", nullable: false),
                    DeletionScheduled = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionAcknowledged = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    DeletionConfirmed = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    InterruptReconciliation = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkloadInstance", x => x.ID);
                    table.ForeignKey(
                        name: "FK_WorkloadInstance_WorkloadDefinition_WorkloadDefinitionID",
                        column: x => x.WorkloadDefinitionID,
                        principalTable: "WorkloadDefinition",
                        principalColumn: "ID",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "WorkloadResourceDefinition",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    JSONDefinition = table.Column<string>(type: "TEXT", nullable: false),
                    WorkloadDefinitionID = table.Column<long>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkloadResourceDefinition", x => x.ID);
                    table.ForeignKey(
                        name: "FK_WorkloadResourceDefinition_WorkloadDefinition_WorkloadDefinitionID",
                        column: x => x.WorkloadDefinitionID,
                        principalTable: "WorkloadDefinition",
                        principalColumn: "ID",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WorkloadEvent",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    RuntimeEventUID = table.Column<string>(type: "TEXT", nullable: false),
                    Type = table.Column<string>(type: "TEXT", nullable: false),
                    Reason = table.Column<string>(type: "TEXT", nullable: false),
                    Message = table.Column<string>(type: "TEXT", nullable: false),
                    Timestamp = table.Column<DateTimeOffset>(type: "TEXT", nullable: false),
                    WorkloadInstanceID = table.Column<long>(type: "INTEGER", nullable: false),
                    WorkloadResourceInstanceID = table.Column<long>(type: "INTEGER", nullable: true),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkloadEvent", x => x.ID);
                    table.ForeignKey(
                        name: "FK_WorkloadEvent_WorkloadInstance_WorkloadInstanceID",
                        column: x => x.WorkloadInstanceID,
                        principalTable: "WorkloadInstance",
                        principalColumn: "ID",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "WorkloadResourceInstance",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    WorkloadInstanceID = table.Column<long>(type: "INTEGER", nullable: false),
                    JSONDefinition = table.Column<string>(type: "TEXT", nullable: false),
                    APIVersion = table.Column<string>(type: "TEXT", nullable: false),
                    Kind = table.Column<string>(type: "TEXT", nullable: false),
                    ResourceName = table.Column<string>(type: "TEXT", nullable: false),
                    ResourceNamespace = table.Column<string>(type: "TEXT", nullable: true),
                    LastOperation = table.Column<string>(type: "TEXT", nullable: true),
                    RuntimeDefinition = table.Column<string>(type: "TEXT", nullable: true),
                    Ready = table.Column<bool>(type: "INTEGER", nullable: false),
                    AppliedGeneration = table.Column<long>(type: "INTEGER", nullable: true),
                    ResourceUID = table.Column<string>(type: "TEXT", nullable: true),
                    ApplyOrder = table.Column<int>(type: "INTEGER", nullable: false),
                    Owned = table.Column<bool>(type: "INTEGER", nullable: false),
                    CreatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    UpdatedAt = table.Column<DateTimeOffset>(type: "TEXT", nullable: true),
                    Generation = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_WorkloadResourceInstance", x => x.ID);
                    table.ForeignKey(
                        name: "FK_WorkloadResourceInstance_WorkloadInstance_WorkloadInstanceID",
                        column: x => x.WorkloadInstanceID,
                        principalTable: "WorkloadInstance",
                        principalColumn: "ID",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "IX_KubernetesRuntimeDefinition_Name",
                table: "KubernetesRuntimeDefinition",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_KubernetesRuntimeInstance_KubernetesRuntimeDefinitionID",
                table: "KubernetesRuntimeInstance",
                column: "KubernetesRuntimeDefinitionID");

            migrationBuilder.CreateIndex(
                name: "IX_KubernetesRuntimeInstance_Name",
                table: "KubernetesRuntimeInstance",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadDefinition_Name",
                table: "WorkloadDefinition",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadEvent_WorkloadInstanceID_RuntimeEventUID",
                table: "WorkloadEvent",
                columns: new[] { "WorkloadInstanceID", "RuntimeEventUID" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadInstance_KubernetesRuntimeInstanceID",
                table: "WorkloadInstance",
                column: "KubernetesRuntimeInstanceID");

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadInstance_Name",
                table: "WorkloadInstance",
                column: "Name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadInstance_WorkloadDefinitionID",
                table: "WorkloadInstance",
                column: "WorkloadDefinitionID");

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadResourceDefinition_WorkloadDefinitionID",
                table: "WorkloadResourceDefinition",
                column: "WorkloadDefinitionID");

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadResourceInstance_Kind_ResourceNamespace_ResourceName",
                table: "WorkloadResourceInstance",
                columns: new[] { "Kind", "ResourceNamespace", "ResourceName" });

            migrationBuilder.CreateIndex(
                name: "IX_WorkloadResourceInstance_WorkloadInstanceID",
                table: "WorkloadResourceInstance",
                column: "WorkloadInstanceID");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "KubernetesRuntimeInstance");

            migrationBuilder.DropTable(
                name: "WorkloadEvent");

            migrationBuilder.DropTable(
                name: "WorkloadResourceDefinition");

            migrationBuilder.DropTable(
                name: "WorkloadResourceInstance");

            migrationBuilder.DropTable(
                name: "KubernetesRuntimeDefinition");

            migrationBuilder.DropTable(
                name: "WorkloadInstance");

            migrationBuilder.DropTable(
                name: "WorkloadDefinition");
        }
    }
}
