-- Teams (issue 23): the team a staff member works in, free text set by administrators
-- (e.g. "北京一线"). Dashboards and survey results group and filter by the owner's team.
ALTER TABLE users ADD COLUMN team TEXT;
