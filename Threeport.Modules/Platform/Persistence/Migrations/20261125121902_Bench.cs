using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Threeport.Modules.Platform.Persistence.Migrations
{
    /// <inheritdoc />
    public partial class Bench : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "BenchObject",
                columns: table => new
                {
                    ID = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    Name = table.Column<string>(type: "TEXT", nullable: false),
                    Payload = table.Column<string>(type: "TEXT", nullable: true),
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
                    table.PrimaryKey("PK_BenchObject", x => x.ID);
                });

            migrationBuilder.CreateIndex(
                name: "IX_BenchObject_Name",
                table: "BenchObject",
                column: "Name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "BenchObject");
        }
    }
}
