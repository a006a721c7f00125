"""Time: the injectable clock, the working-day calendar and deadline arithmetic."""
