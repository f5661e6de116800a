<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<!-- superad-geo anomaly scores: magma ramp; the plugin stretches it from the median
     (background, dark) to the 99.9th percentile (anomalies, bright) of each layer. -->
<qgis version="3.22.0" styleCategories="Symbology">
  <pipe>
    <rasterrenderer type="singlebandpseudocolor" band="1" opacity="1" alphaBand="-1"
                    classificationMin="0" classificationMax="8" nodataColor="">
      <rasterTransparency/>
      <minMaxOrigin>
        <limits>None</limits>
        <extent>WholeRaster</extent>
        <statAccuracy>Estimated</statAccuracy>
        <cumulativeCutLower>0.5</cumulativeCutLower>
        <cumulativeCutUpper>0.999</cumulativeCutUpper>
        <stdDevFactor>2</stdDevFactor>
      </minMaxOrigin>
      <rastershader>
        <colorrampshader colorRampType="INTERPOLATED" classificationMode="1" clip="0"
                         minimumValue="0" maximumValue="8">
          <item alpha="255" value="0" label="background" color="#000004"/>
          <item alpha="255" value="2" label="" color="#51127c"/>
          <item alpha="255" value="4" label="" color="#b73779"/>
          <item alpha="255" value="6" label="" color="#fc8961"/>
          <item alpha="255" value="8" label="most anomalous" color="#fcfdbf"/>
        </colorrampshader>
      </rastershader>
    </rasterrenderer>
    <brightnesscontrast brightness="0" contrast="0" gamma="1"/>
    <rasterresampler maxOversampling="2"/>
  </pipe>
  <blendMode>0</blendMode>
</qgis>
